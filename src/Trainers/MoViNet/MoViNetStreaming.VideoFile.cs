using MLNetVideo.Transforms.Decoding;

namespace MLNetVideo.Trainers.MoViNet;

/// <content>Streaming a video file through a session.</content>
public static partial class MoViNetStreaming
{
    /// <summary>
    /// Streams a video file (or frame folder) through <paramref name="stream"/> frame by frame with
    /// <see cref="VideoFrameReader"/>: every frame is resized to the model's input size and normalized as the model was
    /// trained (<see cref="MoViNetStream.InputFormat"/>, or <see cref="MoViNetVideoFileOptions.Format"/>), pushed, and
    /// the running prediction is yielded with the frame's index and its time in the video (index / frame rate). Memory
    /// stays constant: one decoded frame and the session's state. The session is reset first (a file is a new video).
    /// </summary>
    /// <param name="stream">The session (not thread-safe: do not push to it while enumerating).</param>
    /// <param name="path">A video file or frame folder.</param>
    /// <param name="options">Format override, frames per push, decoder settings; null for defaults.</param>
    /// <param name="cancellation">Stops decoding (the decoder process is killed) and the enumeration
    /// (<see cref="OperationCanceledException"/>).</param>
    /// <returns>The predictions, read lazily: decoding starts when enumeration starts and stops when it is disposed.</returns>
    /// <exception cref="VideoDecodingException">The file does not exist (thrown at once), or it cannot be decoded (thrown
    /// while enumerating); the message names the file.</exception>
    /// <example><code language="csharp">
    /// using var stream = model.CreateStream();           // model loaded from a zip
    /// foreach (var p in stream.StreamVideoFile("clip.mp4"))
    ///     Console.WriteLine($"{p.Time:mm\:ss\.f} {p.Top(1)[0].Class}");
    /// </code></example>
    public static IEnumerable<MoViNetStreamPrediction> StreamVideoFile(this MoViNetStream stream, string path, MoViNetVideoFileOptions? options = null,
        CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        options ??= new MoViNetVideoFileOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(options.FramesPerPush, 1, nameof(options.FramesPerPush));
        var format = options.Format ?? stream.InputFormat
            ?? throw new ArgumentException(
                "This stream does not know the model's input format (it was opened on a network, not a trained model): set MoViNetVideoFileOptions.Format.",
                nameof(options));
        format.Validate();
        string full = Path.GetFullPath(path);
        if (!File.Exists(full) && !Directory.Exists(full))
            throw new VideoDecodingException(VideoDecodingFailure.NotFound, full, "the file does not exist.");
        return IterateFile(stream, full, format, options, cancellation);
    }

    private static IEnumerable<MoViNetStreamPrediction> IterateFile(MoViNetStream stream, string path, MoViNetFrameFormat format,
        MoViNetVideoFileOptions options, CancellationToken cancellation)
    {
        var readerOptions = new VideoFrameReader.Options
        {
            FrameTimeout = options.FrameTimeout,
            MaxResolution = options.MaxResolution,
        };
        // Resize: stretch = the decoder scales to the input size; short side then crop = the decoder scales (aspect kept)
        // and the centre window is cut here, exactly as LoadVideoFrames does with one crop (bilinear scale, then crop).
        using var reader = OpenScaled(path, readerOptions, format, cancellation, out var crop);
        double fps = reader.Info.FramesPerSecond > 0 ? reader.Info.FramesPerSecond : 0;
        int plane = format.Width * format.Height;
        var decoded = new float[3 * reader.Width * reader.Height];
        var batch = new float[3 * plane * options.FramesPerPush];
        int inBatch = 0;
        stream.Reset();
        while (reader.MoveNext())
        {
            cancellation.ThrowIfCancellationRequested();
            var destination = batch.AsSpan(inBatch * 3 * plane, 3 * plane);
            if (crop is CropWindow window)
            {
                reader.CopyCurrentTo(decoded, Preset(format.Normalization), format.Channels);
                CopyWindow(decoded, reader.Width, reader.Height, window, destination);
            }
            else
            {
                reader.CopyCurrentTo(destination, Preset(format.Normalization), format.Channels);
            }
            if (format.Normalization == PixelNormalization.Custom)
                ApplyCustom(destination, plane, format);
            inBatch++;
            if (inBatch == options.FramesPerPush)
            {
                yield return PushFileBatch(stream, batch, inBatch, format, reader.FrameIndex, fps);
                inBatch = 0;
            }
        }
        if (inBatch > 0)
            yield return PushFileBatch(stream, batch, inBatch, format, reader.FrameIndex, fps);
    }

    private static VideoFrameReader OpenScaled(string path, VideoFrameReader.Options readerOptions, MoViNetFrameFormat format,
        CancellationToken cancellation, out CropWindow? crop)
    {
        crop = null;
        if (format.Resize == ResizeMode.Stretch)
        {
            readerOptions.Width = format.Width;
            readerOptions.Height = format.Height;
            return VideoFrameReader.Open(path, readerOptions, cancellation);
        }
        // The scaled size depends on the source size: probe by opening once without scaling, then reopen scaled.
        VideoInfo info;
        using (var probe = VideoFrameReader.Open(path, readerOptions, cancellation))
            info = probe.Info;
        var (scaledWidth, scaledHeight) = SpatialTransform.ScaledSize(info.Width, info.Height, ResizeMode.ShortSideThenCrop, format.Width, format.EffectiveShortSide);
        crop = SpatialTransform.Crops(scaledWidth, scaledHeight, format.Width, 1, null)[0];
        readerOptions.Width = scaledWidth;
        readerOptions.Height = scaledHeight;
        return VideoFrameReader.Open(path, readerOptions, cancellation);
    }

    private static MoViNetStreamPrediction PushFileBatch(MoViNetStream stream, float[] batch, int frames, MoViNetFrameFormat format, long lastIndex, double fps)
    {
        int frameSize = 3 * format.Width * format.Height;
        var input = frames * frameSize == batch.Length ? batch : batch[..(frames * frameSize)];
        var logits = stream.Push(input, format.Height, format.Width);
        return new MoViNetStreamPrediction(lastIndex, logits, Softmax(logits))
        {
            Time = fps > 0 ? TimeSpan.FromSeconds(lastIndex / fps) : null,
        };
    }

    private static PixelNormalization Preset(PixelNormalization normalization)
        => normalization == PixelNormalization.Custom ? PixelNormalization.ZeroToOne : normalization;

    private static void ApplyCustom(Span<float> frame, int plane, MoViNetFrameFormat format)
    {
        for (int c = 0; c < 3; c++)
        {
            int rgb = format.Channels == ChannelOrder.Rgb ? c : 2 - c;
            float mean = format.CustomMean![rgb], std = format.CustomStd![rgb];
            var channel = frame.Slice(c * plane, plane);
            for (int i = 0; i < channel.Length; i++)
                channel[i] = (channel[i] - mean) / std;
        }
    }

    private static void CopyWindow(float[] source, int width, int height, CropWindow window, Span<float> destination)
    {
        int sourcePlane = width * height, plane = window.Width * window.Height;
        for (int c = 0; c < 3; c++)
            for (int y = 0; y < window.Height; y++)
                source.AsSpan((c * sourcePlane) + ((window.Y + y) * width) + window.X, window.Width)
                    .CopyTo(destination.Slice((c * plane) + (y * window.Width), window.Width));
    }
}
