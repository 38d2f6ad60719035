namespace MLNetVideo.Transforms.Decoding;

/// <summary>Channel order of the output tensor.</summary>
public enum ChannelOrder
{
    /// <summary>Red, green, blue (PyTorch backbones).</summary>
    Rgb,
    /// <summary>Blue, green, red (Caffe-era and OpenCV-trained backbones).</summary>
    Bgr,
}
