// This file loads the trained model and predicts; it has no training code (the shape Model Builder generates).
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetVideo;

namespace ActionRecognition;

public partial class ActionRecognitionModel
{
    /// <summary>One video to classify.</summary>
    public class ModelInput
    {
        /// <summary>Path of the video file (or frame folder), relative to the video folder used in training.</summary>
        [LoadColumn(0)]
        public string VideoPath { get; set; } = "";

        /// <summary>The action name (only needed for training and evaluation).</summary>
        [LoadColumn(1)]
        public string Label { get; set; } = "";
    }

    /// <summary>The prediction for one video.</summary>
    public class ModelOutput
    {
        /// <summary>The most likely action.</summary>
        [ColumnName("PredictedLabel")]
        public string PredictedLabel { get; set; } = "";

        /// <summary>Probability of every action, in the order of <see cref="ClassNames"/>.</summary>
        public float[] Score { get; set; } = [];
    }

    /// <summary>Where <see cref="Predict"/> loads the model from.</summary>
    public static string ModelPath { get; set; } = Path.GetFullPath("model.zip");

    /// <summary>The folder that <see cref="ModelInput.VideoPath"/> is relative to. A loaded model never takes this from the
    /// zip: the application says where its videos are (null: paths are used as given).</summary>
    public static string? VideoFolder { get; set; }

    private static readonly Lazy<(PredictionEngine<ModelInput, ModelOutput> Engine, string[] ClassNames)> Engine = new(CreateEngine, true);

    /// <summary>The action names, in the order of <see cref="ModelOutput.Score"/>.</summary>
    public static string[] ClassNames => Engine.Value.ClassNames;

    /// <summary>Predicts the action of one video.</summary>
    /// <param name="input">The video.</param>
    /// <returns>The predicted action and every action's probability.</returns>
    public static ModelOutput Predict(ModelInput input) => Engine.Value.Engine.Predict(input);

    /// <summary>The <paramref name="k"/> most likely actions of a prediction.</summary>
    /// <param name="output">A prediction.</param>
    /// <param name="k">How many.</param>
    /// <returns>Names and probabilities, most likely first.</returns>
    public static IEnumerable<(string Label, float Score)> TopK(ModelOutput output, int k = 3)
        => output.Score.Select((score, index) => (ClassNames[index], score)).OrderByDescending(p => p.score).Take(k)
            .Select(p => (p.Item1, p.score));

    private static (PredictionEngine<ModelInput, ModelOutput>, string[]) CreateEngine()
    {
        var mlContext = new MLContext();
        // MLNetVideo's Load: the zip is checked first, locations come from these options, a refusal is its real exception.
        var model = mlContext.Model.Load(ModelPath, new VideoModelLoadOptions { VideoFolder = VideoFolder }, out var inputSchema);
        var outputSchema = model.GetOutputSchema(inputSchema);
        var slotNames = default(VBuffer<ReadOnlyMemory<char>>);
        outputSchema["Score"].GetSlotNames(ref slotNames);
        var names = slotNames.DenseValues().Select(n => n.ToString()).ToArray();
        return (mlContext.Model.CreatePredictionEngine<ModelInput, ModelOutput>(model), names);
    }
}
