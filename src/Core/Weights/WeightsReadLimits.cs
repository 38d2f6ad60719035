namespace MLNetVideo.Weights;

/// <summary>
/// Upper bounds that the weight readers enforce before they allocate anything, so that a damaged or hostile file is refused
/// with an <see cref="InvalidDataException"/> instead of exhausting memory or hanging.
/// </summary>
/// <remarks>The defaults admit every public checkpoint of the networks MLNetVideo imports (the largest, CLIP ViT-L/14, is
/// under 2 GB; its largest tensor under 200 MB). Raise a limit only for a file you trust.</remarks>
public sealed record WeightsReadLimits
{
    /// <summary>The limits used when none are given.</summary>
    public static WeightsReadLimits Default { get; } = new();

    /// <summary>Largest safetensors JSON header, in bytes. Default 100 MB, the cap of the reference implementation.</summary>
    public long MaxHeaderBytes { get; init; } = 100_000_000;

    /// <summary>Largest single tensor, in bytes. Default 1 GiB; upper bound: <see cref="Array.MaxLength"/>.</summary>
    public long MaxTensorBytes { get; init; } = 1L << 30;

    /// <summary>Largest total of all tensors read by one <c>ReadAll</c> call or one checkpoint, in bytes. Default 4 GiB.</summary>
    public long MaxTotalBytes { get; init; } = 4L << 30;

    /// <summary>Most bytes a strided tensor view of a PyTorch checkpoint may hold per byte of the storage it views (a stride
    /// of 0 repeats one stored element; a transposed view holds as many bytes as its storage), checked per view and for all
    /// views together; views of at most 4 KiB always pass. Default 4.</summary>
    public int MaxViewExpansion { get; init; } = 4;

    /// <summary>Most tensors (safetensors entries or checkpoint storages) in one file. Default 1,000,000.</summary>
    public int MaxTensorCount { get; init; } = 1_000_000;

    /// <summary>Most dimensions of one tensor. Default 64.</summary>
    public int MaxDimensions { get; init; } = 64;

    /// <summary>Largest <c>data.pkl</c> of a PyTorch checkpoint, in bytes. Default 256 MB.</summary>
    public long MaxPickleBytes { get; init; } = 256_000_000;

    /// <summary>Most entries in a checkpoint's zip archive. Default 1,000,000.</summary>
    public int MaxZipEntries { get; init; } = 1_000_000;

    /// <summary>Most values on the unpickler's stack, and most nested MARKs. Default 100,000.</summary>
    public int MaxStackDepth { get; init; } = 100_000;

    /// <summary>Most entries in the unpickler's memo. Default 5,000,000.</summary>
    public int MaxMemoEntries { get; init; } = 5_000_000;

    /// <summary>Most objects (values, lists, dicts, tuples, tensors) the unpickler may create. Default 5,000,000: a state dict
    /// needs about 15 per tensor, so this admits hundreds of thousands of tensors while bounding the memory a small hostile
    /// pickle can make the reader allocate.</summary>
    public long MaxObjects { get; init; } = 5_000_000;

    /// <summary>Longest string or byte string in a pickle, in bytes. Default 16 MB.</summary>
    public long MaxStringBytes { get; init; } = 16_000_000;

    /// <summary>Deepest nesting of lists, tuples and dicts in a loaded checkpoint. Default 1,000.</summary>
    public int MaxNesting { get; init; } = 1_000;

    /// <summary>Throws when a limit is not positive or <see cref="MaxTensorBytes"/> exceeds <see cref="Array.MaxLength"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A limit is out of range.</exception>
    public void Validate()
    {
        Errors.OptionChecks.Positive(MaxHeaderBytes, nameof(MaxHeaderBytes));
        Errors.OptionChecks.Positive(MaxTensorBytes, nameof(MaxTensorBytes));
        if (MaxTensorBytes > Array.MaxLength)
            throw new ArgumentOutOfRangeException(nameof(MaxTensorBytes), MaxTensorBytes,
                $"MaxTensorBytes must be at most {Array.MaxLength} (the largest .NET array); got {MaxTensorBytes}.");
        Errors.OptionChecks.Positive(MaxTotalBytes, nameof(MaxTotalBytes));
        Errors.OptionChecks.Positive(MaxViewExpansion, nameof(MaxViewExpansion));
        Errors.OptionChecks.Positive(MaxTensorCount, nameof(MaxTensorCount));
        Errors.OptionChecks.Positive(MaxDimensions, nameof(MaxDimensions));
        Errors.OptionChecks.Positive(MaxPickleBytes, nameof(MaxPickleBytes));
        if (MaxPickleBytes > Array.MaxLength)
            throw new ArgumentOutOfRangeException(nameof(MaxPickleBytes), MaxPickleBytes,
                $"MaxPickleBytes must be at most {Array.MaxLength}; got {MaxPickleBytes}.");
        Errors.OptionChecks.Positive(MaxZipEntries, nameof(MaxZipEntries));
        Errors.OptionChecks.Positive(MaxStackDepth, nameof(MaxStackDepth));
        Errors.OptionChecks.Positive(MaxMemoEntries, nameof(MaxMemoEntries));
        Errors.OptionChecks.Positive(MaxObjects, nameof(MaxObjects));
        Errors.OptionChecks.Positive(MaxStringBytes, nameof(MaxStringBytes));
        Errors.OptionChecks.Positive(MaxNesting, nameof(MaxNesting));
    }
}
