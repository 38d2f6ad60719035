// This file loads the trained model and predicts; it has no training code (the shape Model Builder generates).
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetVideo;
using MLNetVideo.Trainers.MoViNet;

namespace MoViNetStreaming;

public partial class MoViNetStreamingModel
{
    /// <summary>One video to classify.</summary>
    public class ModelInput
    {
        /// <summary>Path of the video file (or frame folder).</summary>
        [LoadColumn(0)]
        public string VideoPath { get; set; } = "";

        /// <summary>The action name (only needed for training and evaluation).</summary>
        [LoadColumn(1)]
        public string Label { get; set; } = "";
    }

    /// <summary>The prediction for one clip of a video (the batch route, through a PredictionEngine).</summary>
    public class ModelOutput
    {
        /// <summary>The most likely action.</summary>
        [ColumnName("PredictedLabel")]
        public string PredictedLabel { get; set; } = "";

        /// <summary>Probability of every action, in the order of <see cref="ClassNames"/>.</summary>
        public float[] Score { get; set; } = [];
    }

    /// <summary>The running prediction at the end of one second of video.</summary>
    /// <param name="Second">1 for the first second, 2 for the second, …</param>
    /// <param name="FrameIndex">The last frame of that second.</param>
    /// <param name="Top">The three most likely actions with their probabilities, most likely first.</param>
    public sealed record SecondPrediction(int Second, long FrameIndex, IReadOnlyList<(string Label, float Probability)> Top);

    /// <summary>Where the model is loaded from.</summary>
    public static string ModelPath { get; set; } = Path.GetFullPath("movinet-stream.zip");

    private static readonly Lazy<(MLContext Context, ITransformer Model, DataViewSchema Schema, string[] ClassNames)> Loaded = new(Load, true);

    /// <summary>The action names, in the order of <see cref="ModelOutput.Score"/>.</summary>
    public static string[] ClassNames => Loaded.Value.ClassNames;

    /// <summary>Classifies one clip of a video (the pipeline's LoadVideoFrames picks the clip).</summary>
    /// <param name="input">The video.</param>
    /// <returns>The predicted action and every action's probability.</returns>
    public static ModelOutput Predict(ModelInput input)
    {
        var (context, model, schema, _) = Loaded.Value;
        using var engine = context.Model.CreatePredictionEngine<ModelInput, ModelOutput>(model, inputSchema: schema);
        return engine.Predict(input);
    }

    /// <summary>
    /// Streams a video file frame by frame through a MoViNet streaming session (constant memory, whatever the video's
    /// length) and yields the running top-3 at the end of every second of video.
    /// </summary>
    /// <param name="videoPath">The video.</param>
    /// <param name="cancellation">Stops streaming.</param>
    /// <returns>One prediction per second of video (the last one may cover a partial second).</returns>
    public static IEnumerable<SecondPrediction> StreamVideo(string videoPath, CancellationToken cancellation = default)
    {
        var (_, model, _, names) = Loaded.Value;
        using var stream = model.CreateStream();   // resizes and normalizes like the model's LoadVideoFrames step
        MoViNetStreamPrediction? previous = null;
        foreach (var prediction in stream.StreamVideoFile(videoPath, cancellation: cancellation))
        {
            if (previous is not null && Second(prediction) > Second(previous))
                yield return Summary(previous, names);
            previous = prediction;
        }
        if (previous is not null)
            yield return Summary(previous, names);
    }

    private static int Second(MoViNetStreamPrediction prediction) => (int)Math.Floor((prediction.Time?.TotalSeconds ?? 0) + 1e-9);

    private static SecondPrediction Summary(MoViNetStreamPrediction prediction, string[] names)
        => new(Second(prediction) + 1, prediction.FrameIndex, prediction.Top(3).Select(t => (names[t.Class], t.Probability)).ToArray());

    private static (MLContext, ITransformer, DataViewSchema, string[]) Load()
    {
        var mlContext = new MLContext();
        var model = mlContext.Model.Load(ModelPath, new VideoModelLoadOptions(), out var inputSchema);   // checked first; refusals unwrapped
        var info = model.FindMoViNet().Info;
        var names = info.ClassNames ?? Enumerable.Range(0, info.NumClasses).Select(i => $"class {i}").ToArray();
        return (mlContext, model, inputSchema, names);
    }
}
