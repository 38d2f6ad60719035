using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using MLNetVideo.Featurizers.Clip;
using MLNetVideo.Transforms.Decoding;

namespace MLNetVideo.Distributed.Jobs;

/// <summary>
/// A batch job over a list of videos, run by the silos of an Orleans cluster (see <see cref="VideoJobs.RunAsync"/>): the
/// videos are split into shards of <see cref="ShardSize"/>, silos lease shards from the job's coordinator grain, and each
/// shard's results are committed once, atomically, to <see cref="OutputFolder"/>. Create one with <see cref="Score"/> or
/// <see cref="FeaturizeClip"/>.
/// </summary>
/// <remarks>The model zip, the videos, the CLIP weights and the output folder are read and written by the silos, so in a
/// cluster of several machines they live on storage every machine sees under the same path (docs/components/Orleans.md).</remarks>
[GenerateSerializer, Immutable]
public sealed record VideoJob
{
    /// <summary>What is computed.</summary>
    [Id(0)] public VideoJobKind Kind { get; init; }

    /// <summary>The videos, as the model's video path column expects them (full paths, or paths under its VideoFolder).</summary>
    [Id(1)] public IReadOnlyList<string> Videos { get; init; } = [];

    /// <summary>Where results go: <c>shards/NNNNNN.jsonl</c> as shards finish, <c>results.jsonl</c> (one line per video, in
    /// input order) when the job completes, and <c>job.json</c> (what the job is, so a rerun resumes it).</summary>
    [Id(2)] public string OutputFolder { get; init; } = "";

    /// <summary><see cref="VideoJobKind.Score"/>: the model zip (loaded once per silo with <c>mlContext.Model.Load</c>).</summary>
    [Id(3)] public string? ModelPath { get; init; }

    /// <summary><see cref="VideoJobKind.Score"/>: the model's input column that holds the video path. Default "VideoPath".</summary>
    [Id(4)] public string VideoPathColumnName { get; init; } = "VideoPath";

    /// <summary><see cref="VideoJobKind.Score"/>: how many best classes each result lists. Default 3.</summary>
    [Id(5)] public int TopK { get; init; } = 3;

    /// <summary><see cref="VideoJobKind.Score"/>: whether each result holds the whole score vector. Default true.</summary>
    [Id(6)] public bool IncludeScores { get; init; } = true;

    /// <summary><see cref="VideoJobKind.FeaturizeClip"/>: the <c>LoadVideoFrames</c> options, as JSON.</summary>
    [Id(7)] public string? LoaderOptionsJson { get; init; }

    /// <summary><see cref="VideoJobKind.FeaturizeClip"/>: the <c>FeaturizeVideoWithClip</c> options, as JSON (its
    /// <c>CacheFolder</c> is where the features go).</summary>
    [Id(8)] public string? ClipOptionsJson { get; init; }

    /// <summary>Videos per shard: the unit that is leased, retried and committed. Default 16.</summary>
    [Id(9)] public int ShardSize { get; init; } = 16;

    /// <summary>How long a silo holds a shard without renewing its lease; a silo that dies loses its shards after this
    /// long and another silo takes them. Workers renew every third of it. Default 60 s.</summary>
    [Id(10)] public TimeSpan LeaseTime { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>How many times a shard may fail as a whole (the model cannot be loaded, the output cannot be written)
    /// before the job stops with that error. A video that fails to decode does not count: it is recorded. Default 3.</summary>
    [Id(11)] public int MaxShardAttempts { get; init; } = 3;

    /// <summary>The job's identity: derived from the full path of <see cref="OutputFolder"/>, so running the same job into
    /// the same folder again resumes it.</summary>
    public string JobId => "job-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Path.GetFullPath(OutputFolder))))[..24];

    /// <summary>Number of shards.</summary>
    public int ShardCount => (Videos.Count + ShardSize - 1) / ShardSize;

    /// <summary>A scoring job: every video through a saved classifier.</summary>
    /// <param name="modelPath">The model zip (a pipeline from a video path column to <c>Score</c>/<c>PredictedLabel</c>).</param>
    /// <param name="videos">The videos (see <see cref="VideoList"/>).</param>
    /// <param name="outputFolder">Where results go (created).</param>
    /// <param name="shardSize">Videos per shard.</param>
    /// <param name="topK">Best classes listed per video.</param>
    /// <returns>The job.</returns>
    public static VideoJob Score(string modelPath, IReadOnlyList<string> videos, string outputFolder, int shardSize = 16, int topK = 3)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(modelPath);
        var job = new VideoJob
        {
            Kind = VideoJobKind.Score,
            ModelPath = Path.GetFullPath(modelPath),
            Videos = [.. videos],
            OutputFolder = Path.GetFullPath(outputFolder),
            ShardSize = shardSize,
            TopK = topK,
        };
        job.Validate();
        return job;
    }

    /// <summary>
    /// A CLIP featurizing job: every video decoded with <paramref name="loader"/> and featurized with <paramref name="clip"/>
    /// into the feature cache <paramref name="clip"/>.<c>CacheFolder</c>, keyed by the video file's SHA-256 and the sampling
    /// (<c>CacheVideoPathColumnName</c> and <c>CacheVideoSampling</c> are set to the loader's). A pipeline on one machine with the
    /// same options (<see cref="ClipCacheOptions"/>) then reads every clip from the cache without decoding it.
    /// </summary>
    /// <param name="loader">The LoadVideoFrames options (deterministic sampling: Mode = Inference).</param>
    /// <param name="clip">The FeaturizeVideoWithClip options; <c>CacheFolder</c> is required.</param>
    /// <param name="videos">The videos.</param>
    /// <param name="outputFolder">Where the per-video records go (created).</param>
    /// <param name="shardSize">Videos per shard.</param>
    /// <returns>The job.</returns>
    public static VideoJob FeaturizeClip(VideoFrameLoadingEstimator.Options loader, ClipFeaturizingEstimator.Options clip,
        IReadOnlyList<string> videos, string outputFolder, int shardSize = 16)
    {
        ArgumentNullException.ThrowIfNull(loader);
        ArgumentNullException.ThrowIfNull(clip);
        if (string.IsNullOrWhiteSpace(clip.CacheFolder))
            throw new ArgumentException("A featurizing job writes into the CLIP feature cache: set ClipFeaturizingEstimator.Options.CacheFolder.", nameof(clip));
        var job = new VideoJob
        {
            Kind = VideoJobKind.FeaturizeClip,
            LoaderOptionsJson = JsonSerializer.Serialize(loader),
            ClipOptionsJson = JsonSerializer.Serialize(ClipCacheOptions(loader, clip)),
            Videos = [.. videos],
            OutputFolder = Path.GetFullPath(outputFolder),
            ShardSize = shardSize,
        };
        job.Validate();
        return job;
    }

    /// <summary>The CLIP options a featurizing job runs with, and that a pipeline on one machine uses to read the features
    /// the cluster computed: <paramref name="clip"/> with its cache keyed by the video file (<c>CacheVideoPathColumnName</c> =
    /// the loader's input column, <c>CacheVideoSampling</c> = <paramref name="loader"/>, <c>CacheFolder</c> as a full path).</summary>
    /// <param name="loader">The LoadVideoFrames options.</param>
    /// <param name="clip">The CLIP options with a CacheFolder.</param>
    /// <returns>A copy of <paramref name="clip"/> with those three options set.</returns>
    public static ClipFeaturizingEstimator.Options ClipCacheOptions(VideoFrameLoadingEstimator.Options loader, ClipFeaturizingEstimator.Options clip)
    {
        ArgumentNullException.ThrowIfNull(loader);
        ArgumentNullException.ThrowIfNull(clip);
        var copy = JsonSerializer.Deserialize<ClipFeaturizingEstimator.Options>(JsonSerializer.Serialize(clip))!;
        copy.CacheFolder = clip.CacheFolder is null ? null : Path.GetFullPath(clip.CacheFolder);
        copy.CacheVideoPathColumnName = loader.InputColumnName ?? loader.OutputColumnName;
        copy.CacheVideoSampling = loader;
        copy.InputColumnName = loader.OutputColumnName;
        return copy;
    }

    /// <summary>Checks the settings; throws <see cref="ArgumentException"/> naming the first one that is wrong.</summary>
    public void Validate()
    {
        if (Videos.Count == 0) throw new ArgumentException("The job has no videos.", nameof(Videos));
        if (Videos.Any(string.IsNullOrWhiteSpace)) throw new ArgumentException("The job's video list holds an empty path.", nameof(Videos));
        if (string.IsNullOrWhiteSpace(OutputFolder)) throw new ArgumentException("OutputFolder must name a folder.", nameof(OutputFolder));
        if (ShardSize < 1) throw new ArgumentOutOfRangeException(nameof(ShardSize), ShardSize, "ShardSize must be at least 1.");
        if (TopK < 1) throw new ArgumentOutOfRangeException(nameof(TopK), TopK, "TopK must be at least 1.");
        if (MaxShardAttempts < 1) throw new ArgumentOutOfRangeException(nameof(MaxShardAttempts), MaxShardAttempts, "MaxShardAttempts must be at least 1.");
        if (LeaseTime < TimeSpan.FromSeconds(1)) throw new ArgumentOutOfRangeException(nameof(LeaseTime), LeaseTime, "LeaseTime must be at least 1 s.");
        switch (Kind)
        {
            case VideoJobKind.Score:
                if (string.IsNullOrWhiteSpace(ModelPath)) throw new ArgumentException("A scoring job needs ModelPath.", nameof(ModelPath));
                if (!File.Exists(ModelPath)) throw new FileNotFoundException($"The model zip '{ModelPath}' does not exist.", ModelPath);
                if (string.IsNullOrWhiteSpace(VideoPathColumnName) || VideoPathColumnName == "Label")
                    throw new ArgumentException($"VideoPathColumnName must name the model's video path column (not empty, not \"Label\"); got \"{VideoPathColumnName}\".", nameof(VideoPathColumnName));
                break;
            case VideoJobKind.FeaturizeClip:
                if (LoaderOptionsJson is null || ClipOptionsJson is null)
                    throw new ArgumentException("A featurizing job needs the LoadVideoFrames and FeaturizeVideoWithClip options (use VideoJob.FeaturizeClip).");
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(Kind), Kind, "Unknown job kind.");
        }
    }

    /// <summary>The part of the job that decides its results (kind, model, options, videos, shard size): a rerun into the
    /// same folder resumes only when this matches what <c>job.json</c> recorded.</summary>
    internal string Fingerprint()
        => JsonSerializer.Serialize(new { Kind, ModelPath, VideoPathColumnName, TopK, IncludeScores, LoaderOptionsJson, ClipOptionsJson, ShardSize, Videos });
}
