using Microsoft.ML;

namespace MLNetVideo.Distributed.Hosting;

/// <summary>A model zip loaded on a silo, with what scoring needs to read it.</summary>
internal sealed class LoadedModel(MLContext mlContext, ITransformer model, DataViewSchema inputSchema, string[] classNames)
{
    public MLContext MLContext { get; } = mlContext;

    public ITransformer Model { get; } = model;

    public DataViewSchema InputSchema { get; } = inputSchema;

    /// <summary>Names of the Score vector's slots ("class i" when the model has none).</summary>
    public string[] ClassNames { get; } = classNames;

    /// <summary>A featurizer's feature column.</summary>
    public string? FeatureColumn { get; init; }
}
