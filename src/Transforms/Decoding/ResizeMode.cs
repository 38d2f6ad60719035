namespace MLNetVideo.Transforms.Decoding;

/// <summary>How frames are brought to the output size.</summary>
public enum ResizeMode
{
    /// <summary>Resize so the short side is <c>ShortSideSize</c> (aspect kept), then crop a <c>FrameSize</c> square:
    /// centred at inference, random when training (mmaction2's <c>Resize(-1, 256)</c> + <c>CenterCrop</c>/<c>RandomCrop</c>).</summary>
    ShortSideThenCrop,
    /// <summary>Resize straight to <c>FrameSize</c> × <c>FrameSize</c>, ignoring the aspect ratio.</summary>
    Stretch,
}
