using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetVideo.Featurizers.Clip;
using MLNetVideo.TestComponents;
using MLNetVideo.Weights;
using TorchSharp;

namespace MLNetVideo.Tests.TestSupport;

/// <summary>The smallest models the zip tests need: a MapValueToKey + TinyLinear chain, and tiny CLIP weights.</summary>
internal static class TinyModels
{
    public sealed class Row
    {
        [VectorType(3)] public float[] Features { get; set; } = [];
        public string Label { get; set; } = "";
    }

    /// <summary>A two-row set and the MapValueToKey → TinyLinear chain fitted on it.</summary>
    public static (MLContext MLContext, IDataView Data, ITransformer Model) FitLinear()
    {
        var mlContext = new MLContext(seed: 1);
        var data = mlContext.Data.LoadFromEnumerable(new[]
        {
            new Row { Features = [1f, 0f, 0.5f], Label = "a" },
            new Row { Features = [0f, 1f, -0.5f], Label = "b" },
        });
        var model = mlContext.Transforms.Conversion.MapValueToKey("LabelKey", "Label")
            .Append(new TinyLinearEstimator(mlContext, "Features", "LabelKey", "Output")).Fit(data);
        return (mlContext, data, model);
    }

    /// <summary>Saves <see cref="FitLinear"/>'s chain (atomically) to <paramref name="zip"/> and returns the path.</summary>
    public static string SaveLinear(string zip)
    {
        var (mlContext, data, model) = FitLinear();
        mlContext.Model.SaveAtomically(model, data.Schema, zip);
        return zip;
    }

    /// <summary>Writes seeded weights of the tiny CLIP tower in the OpenAI layout ("visual." keys).</summary>
    public static string WriteTinyClipWeights(string path, int seed = 1)
    {
        torch.manual_seed(seed);
        using var tower = new ClipVisionNetwork(ClipVisionSpecs.Tiny);
        SafeTensorsWriter.Write(path, tower.state_dict().ToDictionary(kv => "visual." + kv.Key, kv => kv.Value));
        return path;
    }
}
