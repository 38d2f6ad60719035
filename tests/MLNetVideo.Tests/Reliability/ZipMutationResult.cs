namespace MLNetVideo.Tests.Reliability;

/// <summary>How a mutated zip fared.</summary>
internal enum ZipMutationResult
{
    /// <summary>Loading refused it.</summary>
    RefusedAtLoad,

    /// <summary>It loaded, and the first prediction refused its settings.</summary>
    RefusedAtFirstUse,

    /// <summary>It loaded and predicted (within every rule).</summary>
    Accepted,
}
