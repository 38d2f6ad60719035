namespace MLNetVideo.Featurizers.Onnx;

/// <summary>What an ONNX graph exposes: its inputs and outputs with their element types and dimensions (−1 = dynamic).</summary>
/// <param name="Inputs">Input name → dimensions.</param>
/// <param name="Outputs">Output name → dimensions.</param>
public sealed record OnnxGraphInfo(IReadOnlyDictionary<string, int[]> Inputs, IReadOnlyDictionary<string, int[]> Outputs);
