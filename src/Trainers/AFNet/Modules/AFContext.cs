namespace MLNetVideo.Trainers.AFNet.Modules;

/// <summary>Per-call settings threaded through the AF blocks: frames per clip, temporal shift, the optional trace and profile.</summary>
/// <param name="Frames">T.</param>
/// <param name="ShiftDivisor">1 / the shifted fraction each way, or 0 for no shift.</param>
/// <param name="Trace">Where executed MACs are counted (inference), or null.</param>
/// <param name="Profile">Where wall time per part is charged (benchmark), or null.</param>
/// <param name="LeanFocalSums">Inference without autograd: a focal block whose input is the previous focal block's output
/// (held by nothing else) adds its results into that input instead of a copy of it, and large blocks add the zero frame's
/// response to every row by broadcasting (false: the previous sums, for the benchmark's A/B).</param>
internal readonly record struct AFContext(int Frames, int ShiftDivisor, AFNetExecutionTrace? Trace, AFNetProfile? Profile = null, bool LeanFocalSums = true);
