namespace MLNetVideo.Trainers.AFNet.Modules;

/// <summary>Per-call settings threaded through the AF blocks: frames per clip, temporal shift, and the optional trace.</summary>
/// <param name="Frames">T.</param>
/// <param name="ShiftDivisor">1 / the shifted fraction each way, or 0 for no shift.</param>
/// <param name="Trace">Where executed MACs are counted (inference), or null.</param>
internal readonly record struct AFContext(int Frames, int ShiftDivisor, AFNetExecutionTrace? Trace);
