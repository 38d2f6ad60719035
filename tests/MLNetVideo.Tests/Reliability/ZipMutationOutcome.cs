namespace MLNetVideo.Tests.Reliability;

/// <summary>The outcome of one mutated zip; <see cref="Violations"/> must be empty.</summary>
internal sealed record ZipMutationOutcome(ZipMutation Mutation, ZipMutationResult Result, string? ExceptionType, string? Message,
    IReadOnlyList<string> Violations, TimeSpan Elapsed);
