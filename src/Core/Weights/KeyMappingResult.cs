namespace MLNetVideo.Weights;

/// <summary>What <see cref="KeyMapping.Apply"/> produced.</summary>
/// <param name="Tensors">The tensors under their new names, in source order.</param>
/// <param name="Dropped">Source keys removed on purpose by <see cref="KeyMapping.Drop"/> rules.</param>
/// <param name="Origins">For each new name, the source key it came from (or the name itself for created tensors).</param>
public sealed record KeyMappingResult(
    IReadOnlyDictionary<string, TensorData> Tensors,
    IReadOnlyList<string> Dropped,
    IReadOnlyDictionary<string, string> Origins);
