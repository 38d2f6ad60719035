using System.CommandLine;
using System.Globalization;
using MLNetVideo.Distributed.Hosting;
using MLNetVideo.Distributed.Jobs;
using MLNetVideo.Featurizers.Clip;
using MLNetVideo.Transforms.Decoding;

namespace MLNetVideo.Cli.Commands;

/// <summary><c>mlnetvideo cluster score|featurize</c>: a job over a video archive on a local Orleans cluster of N silos
/// (src/Distributed; docs/components/Orleans.md for a cluster of machines).</summary>
internal static class ClusterCommand
{
    public static Command Create(CliOutput io)
    {
        var command = new Command("cluster", "Run a job over many videos on a local Orleans cluster (N silos in this process); results are written as shards finish, and a rerun resumes.");
        command.Subcommands.Add(Score(io));
        command.Subcommands.Add(Featurize(io));
        return command;
    }

    private sealed record Common(Option<string> Videos, Option<string> Output, Option<int> Silos, Option<int> ShardSize, Option<string?> State);

    private static Common CommonOptions() => new(
        new Option<string>("--videos") { Description = "A folder (searched recursively) or a text file with one video path per line.", Required = true },
        new Option<string>("--output", "-o") { Description = "Output folder: shards/*.jsonl as they finish, results.jsonl at the end, job.json.", Required = true },
        new Option<int>("--silos") { Description = "Silos to start in this process.", DefaultValueFactory = _ => 2 },
        new Option<int>("--shard-size") { Description = "Videos per shard (the unit leased, retried and committed).", DefaultValueFactory = _ => 16 },
        new Option<string?>("--state") { Description = "Folder of the grain state (default: <output>/.cluster-state)." });

    private static Command Score(CliOutput io)
    {
        var common = CommonOptions();
        var model = Commands.CommonOptions.Model("The model zip (from `mlnetvideo train`).");
        var top = new Option<int>("--top") { Description = "Best classes listed per video.", DefaultValueFactory = _ => 3 };
        var command = new Command("score", "Score every video with a saved model across N silos: one JSON line per video (path, label, top-k, scores).")
        {
            model, common.Videos, common.Output, common.Silos, common.ShardSize, common.State, top,
        };
        command.SetAction(parse =>
        {
            string zip = Path.GetFullPath(parse.GetValue(model)!);
            if (!File.Exists(zip)) throw new CliException($"--model: the file '{zip}' does not exist.");
            int k = parse.GetValue(top);
            if (k < 1) throw new CliException("--top must be at least 1.");
            var job = Build(common, parse, (videos, output, shard) => VideoJob.Score(zip, videos, output, shard, k));
            return Run(io, job, parse, common);
        });
        return command;
    }

    private static Command Featurize(CliOutput io)
    {
        var common = CommonOptions();
        var cache = new Option<string>("--cache") { Description = "The CLIP feature cache folder to fill (FeaturizeVideoWithClip's CacheFolder).", Required = true };
        var weights = new Option<string?>("--clip-weights") { Description = "CLIP weights (safetensors or PyTorch state dict); without it a tiny random CLIP (tests and trials only)." };
        var variant = new Option<string>("--variant") { Description = "vitb32, vitb16 or vitl14 (with --clip-weights).", DefaultValueFactory = _ => "vitb16" };
        var frames = new Option<int>("--frames") { Description = "Frames per clip (uniform sampling).", DefaultValueFactory = _ => 8 };
        var layers = new Option<int>("--layers") { Description = "Last blocks kept (M).", DefaultValueFactory = _ => 4 };
        var command = new Command("featurize", "Compute frozen CLIP features of every video into a feature cache across N silos, for EVL training on one machine.")
        {
            common.Videos, common.Output, common.Silos, common.ShardSize, common.State, cache, weights, variant, frames, layers,
        };
        command.SetAction(parse =>
        {
            string? clipWeights = parse.GetValue(weights) is { } w ? Path.GetFullPath(w) : null;
            if (clipWeights is not null && !File.Exists(clipWeights)) throw new CliException($"--clip-weights: the file '{clipWeights}' does not exist.");
            var clipVariant = clipWeights is null ? ClipVisionVariant.Tiny : parse.GetValue(variant)!.ToLowerInvariant() switch
            {
                "vitb32" => ClipVisionVariant.VitB32,
                "vitb16" => ClipVisionVariant.VitB16,
                "vitl14" => ClipVisionVariant.VitL14,
                var other => throw new CliException($"--variant: unknown CLIP variant '{other}' (vitb32, vitb16, vitl14)."),
            };
            if (clipWeights is null) io.Out.WriteLine("No --clip-weights: using a tiny random CLIP (features for trials, not for real training).");
            var spec = ClipVisionSpecs.Get(clipVariant);
            var loader = new VideoFrameLoadingEstimator.Options
            {
                InputColumnName = "VideoPath", OutputColumnName = "Frames", Sampling = SamplingMode.Uniform,
                FramesPerClip = parse.GetValue(frames), FrameSize = spec.ImageSize, Layout = ClipLayout.Tchw, Normalization = PixelNormalization.ZeroToOne,
            };
            var clip = new ClipFeaturizingEstimator.Options
            {
                Variant = clipVariant, WeightsPath = clipWeights, LayersKept = Math.Min(parse.GetValue(layers), spec.Layers),
                CacheFolder = Path.GetFullPath(parse.GetValue(cache)!), Device = "cpu",
            };
            var job = Build(common, parse, (videos, output, shard) => VideoJob.FeaturizeClip(loader, clip, videos, output, shard));
            int code = Run(io, job, parse, common);
            io.Out.WriteLine($"Features are in {clip.CacheFolder}: FeaturizeVideoWithClip with CacheFolder, CacheVideoPathColumnName = \"VideoPath\" and these loader options reads them (VideoJob.ClipCacheOptions).");
            return code;
        });
        return command;
    }

    private static VideoJob Build(Common common, ParseResult parse, Func<IReadOnlyList<string>, string, int, VideoJob> create)
    {
        string source = parse.GetValue(common.Videos)!;
        try
        {
            var videos = Directory.Exists(source) ? VideoList.FromFolder(source) : VideoList.FromFile(source);
            if (videos.Count == 0) throw new CliException($"--videos: no videos in '{Path.GetFullPath(source)}'.");
            return create(videos, Path.GetFullPath(parse.GetValue(common.Output)!), parse.GetValue(common.ShardSize));
        }
        catch (Exception e) when (e is ArgumentException or IOException)
        {
            throw new CliException(e.Message, e);
        }
    }

    private static int Run(CliOutput io, VideoJob job, ParseResult parse, Common common)
    {
        int silos = parse.GetValue(common.Silos);
        if (silos < 1) throw new CliException("--silos must be at least 1.");
        string state = Path.GetFullPath(parse.GetValue(common.State) ?? Path.Combine(job.OutputFolder, ".cluster-state"));
        io.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{job.Kind} job: {job.Videos.Count} videos in {job.ShardCount} shards of {job.ShardSize} on {silos} silos → {job.OutputFolder}"));
        var final = RunAsync(io, job, silos, state).GetAwaiter().GetResult();
        io.Out.WriteLine($"Done: {final}. Results: {Path.Combine(job.OutputFolder, JobOutput.ResultsFileName)}");
        return CliApp.Success;
    }

    private static async Task<VideoJobProgress> RunAsync(CliOutput io, VideoJob job, int silos, string state)
    {
        await using var cluster = await LocalVideoCluster.StartAsync(new LocalVideoClusterOptions { Silos = silos, StateFolder = state }).ConfigureAwait(false);
        int lastDone = -1;
        var progress = new LineProgress(p =>
        {
            if (p.Done == lastDone) return;
            lastDone = p.Done;
            io.Out.WriteLine($"  {p}");
        });
        try
        {
            return await cluster.RunAsync(job, progress).ConfigureAwait(false);
        }
        catch (InvalidOperationException e)
        {
            throw new CliException(e.Message, e);
        }
    }

    private sealed class LineProgress(Action<VideoJobProgress> report) : IProgress<VideoJobProgress>
    {
        public void Report(VideoJobProgress value) => report(value);
    }
}
