using MLNetVideo.Transforms.Decoding;

namespace MLNetVideo.Trainers.MoViNet;

/// <summary>
/// How decoded video frames become the network's input: the frame size and the resize and pixel normalization the model
/// was trained with. A stream opened from a model (<see cref="MoViNetStreaming.CreateStream(Microsoft.ML.ITransformer)"/>) carries one
/// (<see cref="MoViNetStream.InputFormat"/>) so that <see cref="MoViNetStreaming.StreamVideoFile"/> needs no settings.
/// </summary>
public sealed record MoViNetFrameFormat
{
    /// <summary>Input frame height in pixels (at least <see cref="MoViNetSpecs.MinFrameSize"/>).</summary>
    public required int Height { get; init; }

    /// <summary>Input frame width in pixels (at least <see cref="MoViNetSpecs.MinFrameSize"/>).</summary>
    public required int Width { get; init; }

    /// <summary>How a source frame is brought to <see cref="Width"/> × <see cref="Height"/>. Default
    /// <see cref="ResizeMode.Stretch"/>; <see cref="ResizeMode.ShortSideThenCrop"/> (centre crop) needs a square input.</summary>
    public ResizeMode Resize { get; init; } = ResizeMode.Stretch;

    /// <summary>Short side after resizing for <see cref="ResizeMode.ShortSideThenCrop"/>; <see langword="null"/> = the
    /// LoadVideoFrames default (round(size · 256 / 224)).</summary>
    public int? ShortSideSize { get; init; }

    /// <summary>Pixel normalization. Default <see cref="PixelNormalization.ZeroToOne"/> (the official MoViNet input range).</summary>
    public PixelNormalization Normalization { get; init; } = PixelNormalization.ZeroToOne;

    /// <summary>Mean per RGB channel for <see cref="PixelNormalization.Custom"/>.</summary>
    public IReadOnlyList<float>? CustomMean { get; init; }

    /// <summary>Standard deviation per RGB channel for <see cref="PixelNormalization.Custom"/>.</summary>
    public IReadOnlyList<float>? CustomStd { get; init; }

    /// <summary>Channel order. Default <see cref="ChannelOrder.Rgb"/>.</summary>
    public ChannelOrder Channels { get; init; } = ChannelOrder.Rgb;

    /// <summary>The format LoadVideoFrames produces with <paramref name="options"/> (frame size, resize, normalization,
    /// channel order), so that a file streamed frame by frame looks like the clips the model was trained on.</summary>
    /// <param name="options">The options of a <see cref="VideoFrameLoadingEstimator"/> / its transformer.</param>
    /// <returns>The format.</returns>
    public static MoViNetFrameFormat FromLoader(VideoFrameLoadingEstimator.Options options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new MoViNetFrameFormat
        {
            Height = options.FrameSize,
            Width = options.FrameSize,
            Resize = options.Resize,
            ShortSideSize = options.ShortSideSize,
            Normalization = options.Normalization,
            CustomMean = options.CustomMean,
            CustomStd = options.CustomStd,
            Channels = options.Channels,
        };
    }

    /// <summary>Checks the settings.</summary>
    /// <exception cref="ArgumentException">A setting is out of range.</exception>
    public void Validate()
    {
        if (Height < MoViNetSpecs.MinFrameSize || Width < MoViNetSpecs.MinFrameSize)
            throw new ArgumentException($"MoViNet frames must be at least {MoViNetSpecs.MinFrameSize}×{MoViNetSpecs.MinFrameSize}; got {Width}×{Height}.");
        if (!Enum.IsDefined(Resize) || !Enum.IsDefined(Normalization) || !Enum.IsDefined(Channels))
            throw new ArgumentException($"Unknown Resize ({Resize}), Normalization ({Normalization}) or Channels ({Channels}) value.");
        if (Resize == ResizeMode.ShortSideThenCrop && Height != Width)
            throw new ArgumentException($"Resize = ShortSideThenCrop crops a square; got {Width}×{Height}. Use Resize = Stretch for non-square inputs.");
        if (Resize == ResizeMode.ShortSideThenCrop && ShortSideSize is int shortSide && shortSide < Width)
            throw new ArgumentException($"ShortSideSize ({shortSide}) must be at least the frame size ({Width}).");
        if (Normalization == PixelNormalization.Custom
            && (CustomMean is not { Count: 3 } || CustomStd is not { Count: 3 } || CustomStd.Any(s => !(s > 0))))
            throw new ArgumentException("Normalization = Custom needs CustomMean and CustomStd with 3 values each (std > 0).");
    }

    internal int EffectiveShortSide => ShortSideSize ?? (int)Math.Round(Width * 256.0 / 224.0);
}
