namespace MLNetVideo.Featurizers.Clip;

/// <summary>What the shared CLIP feature computation needs from a featurizer's options.</summary>
internal sealed record ClipFeatureSettings(
    string InputColumnName,
    string OutputColumnName,
    ClipFrameLayout InputLayout,
    int LayersKept,
    bool IncludeAttention,
    int FramesPerBatch,
    int RowsPerBatch,
    string? CacheFolder,
    string Identity,
    string? VideoPathColumnName = null,
    string? SamplingKey = null,
    string? VideoFolder = null,
    bool AllowPathsOutsideVideoFolder = false);
