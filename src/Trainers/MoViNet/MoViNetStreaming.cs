using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetVideo.Transforms.Decoding;

namespace MLNetVideo.Trainers.MoViNet;

/// <summary>Streaming helpers: find the MoViNet in a (loaded) model and run frame sequences through a session.</summary>
public static partial class MoViNetStreaming
{
    extension(VideoClassifierTransformer<MoViNetSpec> model)
    {
        /// <summary>Whether the model can stream (it was trained in stream mode, which is causal).</summary>
        public bool CanStream => model.Spec.Mode == MoViNetMode.Stream && model.Network is IMoViNetStreamSource;

        /// <summary>
        /// Opens a streaming session on this model: push frames as they arrive and read the logits of the video so far, with
        /// constant memory. Sessions are independent; several may run at once. The model must be a stream-mode model.
        /// </summary>
        /// <returns>The session (dispose it; disposing the model invalidates it).</returns>
        public MoViNetStream CreateStream()
        {
            if (!model.CanStream || model.Network is not IMoViNetStreamSource source)
                throw new InvalidOperationException($"This MoViNet {model.Spec.Variant} was trained in {model.Spec.Mode} mode, which is not causal; train with Mode = MoViNetMode.Stream to stream.");
            var stream = source.CreateStream(model.Device);
            stream.InputFormat = new MoViNetFrameFormat { Height = model.Info.Clip.Height, Width = model.Info.Clip.Width };
            return stream;
        }
    }

    /// <summary>Finds the MoViNet model in a model (itself, or inside a <see cref="TransformerChain{TLastTransformer}"/>,
    /// for example one returned by <c>mlContext.Model.Load</c>).</summary>
    /// <param name="model">The model.</param>
    /// <returns>The MoViNet transformer.</returns>
    public static VideoClassifierTransformer<MoViNetSpec> FindMoViNet(this ITransformer model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return Find<VideoClassifierTransformer<MoViNetSpec>>(model) ?? throw new ArgumentException("The model contains no MoViNet transformer.", nameof(model));
    }

    /// <summary>Opens a streaming session on the MoViNet inside <paramref name="model"/> (see <c>CreateStream()</c> on the MoViNet model).
    /// When the model also holds the LoadVideoFrames step it was trained with (a pipeline from video paths), the session's
    /// <see cref="MoViNetStream.InputFormat"/> is that step's frame size, resize and pixel normalization.</summary>
    /// <param name="model">A model that contains a stream-mode MoViNet model.</param>
    /// <returns>The session.</returns>
    public static MoViNetStream CreateStream(this ITransformer model)
    {
        if (model is VideoClassifierTransformer<MoViNetSpec> direct)
            return direct.CreateStream();
        var movinet = model.FindMoViNet();
        var stream = movinet.CreateStream();
        if (Find<VideoFrameLoadingTransformer>(model) is { } loader)
        {
            var format = MoViNetFrameFormat.FromLoader(loader.GetOptions());
            if (stream.InputFormat is not { } trained || (trained.Height == format.Height && trained.Width == format.Width))
                stream.InputFormat = format;
        }
        return stream;
    }

    /// <summary>
    /// Streams frames (each 3 × <paramref name="height"/> × <paramref name="width"/> floats, channel-major, in the model's
    /// input range) through <paramref name="stream"/>, <paramref name="framesPerPush"/> at a time, and yields the running
    /// prediction after each push. Connect a video reader by projecting its decoded frames to <see cref="float"/> arrays.
    /// </summary>
    /// <param name="stream">The session.</param>
    /// <param name="frames">The frames, in order (read lazily).</param>
    /// <param name="height">Frame height.</param>
    /// <param name="width">Frame width.</param>
    /// <param name="framesPerPush">Frames per push (1 = lowest latency).</param>
    /// <param name="framesPerSecond">Frame rate of the frames, to set <see cref="MoViNetStreamPrediction.Time"/>; null = unknown.</param>
    /// <returns>One prediction per push.</returns>
    public static IEnumerable<MoViNetStreamPrediction> StreamFrames(this MoViNetStream stream, IEnumerable<float[]> frames, int height, int width, int framesPerPush = 1,
        double? framesPerSecond = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(frames);
        ArgumentOutOfRangeException.ThrowIfLessThan(framesPerPush, 1);
        if (framesPerSecond is double fps && !(fps > 0 && double.IsFinite(fps)))
            throw new ArgumentOutOfRangeException(nameof(framesPerSecond), fps, "The frame rate must be positive.");
        return Iterate(stream, frames, height, width, framesPerPush, framesPerSecond);
    }

    /// <summary>Converts interleaved RGB bytes (H × W × 3, as decoders produce) to a channel-major float frame in [0, 1]
    /// (the official MoViNet input range).</summary>
    /// <param name="rgb">H·W·3 bytes.</param>
    /// <param name="height">Height.</param>
    /// <param name="width">Width.</param>
    /// <returns>3·H·W floats.</returns>
    public static float[] FrameFromRgb24(ReadOnlySpan<byte> rgb, int height, int width)
    {
        int plane = height * width;
        if (rgb.Length != plane * 3)
            throw new ArgumentException($"Expected {plane * 3} bytes for {height}×{width} RGB; got {rgb.Length}.", nameof(rgb));
        var frame = new float[plane * 3];
        for (int p = 0; p < plane; p++)
            for (int c = 0; c < 3; c++)
                frame[(c * plane) + p] = rgb[(p * 3) + c] / 255f;
        return frame;
    }

    /// <summary>Softmax of logits.</summary>
    /// <param name="logits">Logits.</param>
    /// <returns>Probabilities.</returns>
    public static float[] Softmax(ReadOnlySpan<float> logits)
    {
        if (logits.Length == 0) return [];
        float max = float.NegativeInfinity;
        foreach (var v in logits) max = Math.Max(max, v);
        var result = new float[logits.Length];
        double sum = 0;
        for (int i = 0; i < logits.Length; i++) sum += result[i] = MathF.Exp(logits[i] - max);
        for (int i = 0; i < result.Length; i++) result[i] = (float)(result[i] / sum);
        return result;
    }

    private static IEnumerable<MoViNetStreamPrediction> Iterate(MoViNetStream stream, IEnumerable<float[]> frames, int height, int width, int framesPerPush, double? fps)
    {
        int frameSize = 3 * height * width;
        var batch = new List<float[]>(framesPerPush);
        foreach (var frame in frames)
        {
            if (frame.Length != frameSize)
                throw new ArgumentException($"Every frame must hold 3 × {height} × {width} = {frameSize} floats; got {frame.Length}.", nameof(frames));
            batch.Add(frame);
            if (batch.Count == framesPerPush)
            {
                yield return PushBatch(stream, batch, height, width, fps);
                batch.Clear();
            }
        }
        if (batch.Count > 0)
            yield return PushBatch(stream, batch, height, width, fps);
    }

    private static MoViNetStreamPrediction PushBatch(MoViNetStream stream, List<float[]> batch, int height, int width, double? fps)
    {
        var flat = new float[batch.Count * batch[0].Length];
        for (int i = 0; i < batch.Count; i++)
            batch[i].CopyTo(flat, i * batch[0].Length);
        var logits = stream.Push(flat, height, width);
        long index = stream.FramesSeen - 1;
        return new MoViNetStreamPrediction(index, logits, Softmax(logits)) { Time = fps is double f ? TimeSpan.FromSeconds(index / f) : null };
    }

    private static T? Find<T>(ITransformer model) where T : class, ITransformer
    {
        switch (model)
        {
            case T match:
                return match;
            case IEnumerable<ITransformer> chain:
                foreach (var inner in chain)
                    if (Find<T>(inner) is { } found) return found;
                return null;
            default:
                return null;
        }
    }
}
