// This file loads the trained model and predicts; it has no training code (the shape Model Builder generates).
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetVideo;
using MLNetVideo.Reporting;

namespace ClipEvl;

public partial class ClipEvlModel
{
    /// <summary>One video to classify.</summary>
    public class ModelInput
    {
        /// <summary>Path of the video, relative to the video folder used in training.</summary>
        public string VideoPath { get; set; } = "";

        /// <summary>The action name (only needed for training and evaluation).</summary>
        public string Label { get; set; } = "";
    }

    /// <summary>The prediction for one video.</summary>
    public class ModelOutput
    {
        /// <summary>The most likely action.</summary>
        [ColumnName("PredictedLabel")]
        public string PredictedLabel { get; set; } = "";

        /// <summary>Probability of every action.</summary>
        public float[] Score { get; set; } = [];
    }

    /// <summary>Loads <paramref name="modelPath"/> and returns a prediction function and the class names.</summary>
    /// <param name="modelPath">The saved model.</param>
    /// <param name="videoFolder">The folder that <see cref="ModelInput.VideoPath"/> is relative to (a loaded model never takes it
    /// from the zip).</param>
    /// <param name="weightsFolder">The folder that holds the CLIP weights file the model was built with (a model that refers
    /// to its weights by file name finds them only where the application says).</param>
    /// <returns>The predictor and the names in score order.</returns>
    public static (Func<ModelInput, ModelOutput> Predict, string[] ClassNames) Load(string modelPath, string? videoFolder, string? weightsFolder)
    {
        var mlContext = new MLContext();
        var options = new VideoModelLoadOptions { VideoFolder = videoFolder, WeightsFolder = weightsFolder };
        var model = mlContext.Model.Load(modelPath, options, out var inputSchema);
        var names = VideoEvaluation.ClassNames(model.GetOutputSchema(inputSchema));
        var engine = mlContext.Model.CreatePredictionEngine<ModelInput, ModelOutput>(model, inputSchema: inputSchema);
        return (engine.Predict, names);
    }
}
