using static TorchSharp.torch;

namespace MLNetVideo.Featurizers.Clip;

/// <summary>A CLIP tower loaded into ONNX Runtime: prepared frames [n, 3, S, S] (CPU) → [k·M, n, tokens, W] (CPU).</summary>
internal interface IClipTowerSession : IDisposable
{
    Tensor Encode(Tensor prepared);
}
