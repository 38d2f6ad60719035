using Microsoft.ML;

namespace MLNetVideo;

/// <summary>Creates <see cref="PooledPredictionEngine{TSrc, TDst}"/>s from <c>mlContext.Model</c>.</summary>
public static class PooledPredictionEngineCatalog
{
    /// <summary>A thread-safe prediction front for <paramref name="model"/> (see <see cref="PooledPredictionEngine{TSrc, TDst}"/>).</summary>
    /// <typeparam name="TSrc">The input row class.</typeparam>
    /// <typeparam name="TDst">The prediction class.</typeparam>
    /// <param name="catalog">The model operations catalog (<c>mlContext.Model</c>).</param>
    /// <param name="model">The loaded model, shared by every engine.</param>
    /// <param name="ownsModel">Dispose the model when the pool is disposed. Default false.</param>
    /// <param name="maxIdleEngines">Most engines kept between calls. Default: the processor count.</param>
    /// <returns>The pool.</returns>
    /// <example><code language="csharp">
    /// using var predictor = mlContext.Model.CreatePooledPredictionEngine&lt;ModelInput, ModelOutput&gt;(model);
    /// Parallel.ForEach(inputs, input =&gt; Console.WriteLine(predictor.Predict(input).PredictedLabel));
    /// </code></example>
    public static PooledPredictionEngine<TSrc, TDst> CreatePooledPredictionEngine<TSrc, TDst>(this ModelOperationsCatalog catalog, ITransformer model,
        bool ownsModel = false, int? maxIdleEngines = null)
        where TSrc : class
        where TDst : class, new()
        => new(catalog, model, ownsModel, maxIdleEngines ?? Environment.ProcessorCount);
}
