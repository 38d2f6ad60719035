using static TorchSharp.torch;

namespace MLNetVideo.Featurizers.Clip;

/// <summary>A frozen per-frame image encoder behind the CLIP feature contract (TorchSharp tower or ONNX graph).</summary>
internal interface IClipFrameEncoder
{
    /// <summary>Tokens per frame (grid² + 1).</summary>
    int Tokens { get; }

    /// <summary>Token width W.</summary>
    int Width { get; }

    /// <summary>Resizes, crops and normalises frames [n, 3, H, W] (values in [0, 1], CPU) into the encoder's input.</summary>
    Tensor Prepare(Tensor frames);

    /// <summary>One forward pass over prepared frames [n, 3, S, S]: returns [k·M, n, tokens, W] on the CPU.</summary>
    Tensor Encode(Tensor prepared);
}
