// This file loads a trained model zip and predicts; it has no training code (the shape Model Builder generates).
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetVideo;
using MLNetVideo.Reporting;

namespace Consume;

public static class VideoClassifier
{
    /// <summary>One video to classify.</summary>
    public class ModelInput
    {
        /// <summary>Path of the video file (see <see cref="ModelInputs.VideoPathFor"/>).</summary>
        public string VideoPath { get; set; } = "";

        /// <summary>The action name; unused for prediction, but part of the model's input schema.</summary>
        public string Label { get; set; } = "";
    }

    /// <summary>The prediction for one video.</summary>
    public class ModelOutput
    {
        /// <summary>The most likely action.</summary>
        [ColumnName("PredictedLabel")]
        public string PredictedLabel { get; set; } = "";

        /// <summary>Probability of every action, in the order of <see cref="Model.ClassNames"/>.</summary>
        public float[] Score { get; set; } = [];
    }

    /// <summary>A loaded model: its prediction engine and class names.</summary>
    public sealed class Model : IDisposable
    {
        private readonly ITransformer _model;
        private readonly PredictionEngine<ModelInput, ModelOutput> _engine;

        /// <summary>Loads <paramref name="modelPath"/> (any MLNetVideo classifier saved with mlContext.Model.Save).</summary>
        public Model(string modelPath)
        {
            var mlContext = new MLContext();
            // MLNetVideo's Load: the zip is checked before ML.NET reads it, nothing in it chooses a folder, a cache or a
            // program, and a refusal is thrown as its real exception (not a TargetInvocationException).
            _model = mlContext.Model.Load(modelPath, new VideoModelLoadOptions(), out var inputSchema);
            ClassNames = VideoEvaluation.ClassNames(_model.GetOutputSchema(inputSchema));
            _engine = mlContext.Model.CreatePredictionEngine<ModelInput, ModelOutput>(_model, inputSchema: inputSchema);
        }

        /// <summary>The action names, in the order of <see cref="ModelOutput.Score"/>.</summary>
        public string[] ClassNames { get; }

        /// <summary>Predicts the action of one video file.</summary>
        public ModelOutput Predict(string videoFile) => _engine.Predict(new ModelInput { VideoPath = ModelInputs.VideoPathFor(_model, videoFile) });

        /// <summary>The <paramref name="k"/> most likely actions of a prediction, most likely first.</summary>
        public IEnumerable<(string Label, float Score)> TopK(ModelOutput output, int k = 3)
            => output.Score.Select((score, index) => (Label: ClassNames[index], Score: score)).OrderByDescending(p => p.Score).Take(k);

        /// <summary>Releases the engine.</summary>
        public void Dispose() => _engine.Dispose();
    }
}
