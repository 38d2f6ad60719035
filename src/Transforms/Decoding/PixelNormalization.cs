namespace MLNetVideo.Transforms.Decoding;

/// <summary>How 8-bit pixel values become the floats of the clip tensor.</summary>
public enum PixelNormalization
{
    /// <summary>v / 255, in [0, 1].</summary>
    ZeroToOne,
    /// <summary>v / 127.5 − 1, in [−1, 1] (S3D, MoViNet, I3D).</summary>
    MinusOneToOne,
    /// <summary>(v / 255 − mean) / std with ImageNet's mean (0.485, 0.456, 0.406) and std (0.229, 0.224, 0.225) in RGB order
    /// (TSN, TSM and most torchvision backbones).</summary>
    ImageNet,
    /// <summary>(v / 255 − mean) / std with OpenAI CLIP's mean (0.48145466, 0.4578275, 0.40821073) and
    /// std (0.26862954, 0.26130258, 0.27577711) in RGB order (CLIP, EVL, X-CLIP).</summary>
    Clip,
    /// <summary>(v / 255 − mean) / std with the options' <c>CustomMean</c> and <c>CustomStd</c> (RGB order, 3 values each).</summary>
    Custom,
}
