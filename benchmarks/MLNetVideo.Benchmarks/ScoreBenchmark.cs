using System.Diagnostics;
using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetVideo;
using MLNetVideo.Trainers;
using MLNetVideo.Trainers.S3D;
using MLNetVideo.Transforms.Decoding;

/// <summary>
/// Issue 22, item 3: scoring videos/s of a LoadVideoFrames → S3D pipeline against a bare loop that runs one ffmpeg per
/// video on the same files, side by side (interleaved repetitions), and the first row of a fresh transformer against
/// ffmpeg alone on one file. The library runs twice: as it is now (read-ahead, MP4 header probe) and with both turned off
/// (ReadAheadRows = 0 and an ffprobe per video, the earlier behaviour).
///
///   MLNetVideo.Benchmarks score [--repeats 3] [--videos 24] [--work DIR]
/// </summary>
internal static class ScoreBenchmark
{
    public static int Run(string[] args)
    {
        int repeats = Value(args, "--repeats", 3), count = Value(args, "--videos", 24);
        string work = Path.Combine(Path.GetTempPath(), "mlnv-bench-score");
        int at = Array.IndexOf(args, "--work");
        if (at >= 0 && at + 1 < args.Length) work = args[at + 1];
        Directory.CreateDirectory(work);
        var videos = Enumerable.Range(0, count).Select(i => Path.Combine(work, $"clip{i:D3}.mp4")).ToArray();
        for (int i = 0; i < count; i++)
            if (!File.Exists(videos[i]))
                Ffmpeg(false, "-v", "error", "-f", "lavfi", "-i", $"testsrc2=size=320x240:rate=25", "-t", "2", "-vf", $"hue=h={i * 15}",
                    "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p", "-movflags", "+faststart", "-y", videos[i]);

        const int size = 112, frames = 16;
        var frameOptions = new VideoFrameLoadingEstimator.Options
        {
            InputColumnName = "VideoPath", OutputColumnName = "Frames", FramesPerClip = frames, FrameSize = size,
            Normalization = PixelNormalization.ImageNet, Layout = ClipLayout.Cthw,
        };
        var mlContext = new MLContext(seed: 1);
        var train = mlContext.Data.LoadFromEnumerable(videos.Take(4).Select((v, i) => new Row { VideoPath = v, Label = i % 2 == 0 ? "a" : "b" }));
        var network = mlContext.Transforms.Conversion.MapValueToKey("Label")
            .Append(mlContext.Transforms.LoadVideoFrames(frameOptions))
            .Append(mlContext.MulticlassClassification.Trainers.S3D(new S3DTrainer.Options
            {
                Variant = S3DVariant.S3D, WidthMultiplier = 0.25, Epochs = 1, BatchSize = 2, Device = "cpu", Seed = 1,
            }))
            .Fit(train).LastTransformer;
        var classifier = (IVideoClassifier)network;
        int b = Array.IndexOf(args, "--backend");
        if (b >= 0 && b + 1 < args.Length)
            classifier.ScoringBackend = Enum.Parse<ScoringBackend>(args[b + 1], ignoreCase: true);
        // A fresh model's first row also pays for the scoring backend (ONNX export and session): measured apart, once.
        var cold = Stopwatch.StartNew();
        var active = classifier.ActiveScoringBackend;
        double backendSeconds = cold.Elapsed.TotalSeconds;

        var breakdown = FreshBackendBreakdown((VideoClassifierTransformer<S3DSpec>)network, work, frames * size * size * 3);
        Console.WriteLine($"load average before: {File.ReadAllText("/proc/loadavg").Trim()}; {Environment.ProcessorCount} cores; torch threads {MLNetVideo.VideoRuntime.Threads}, OMP_WAIT_POLICY={MLNetVideo.VideoRuntime.WaitPolicy}");
        Console.WriteLine($"scoring backend {classifier.ScoringBackend} → {active} (resolved in {backendSeconds:F3} s before the runs: export + session)");
        Console.WriteLine($"{count} videos: testsrc2 320×240, 2 s at 25 frames/s, H.264; rows: {frames} frames (centre) at {size}², S3D width 0.25 (random-ish, 1 epoch on 4 clips)");
        Console.WriteLine($"a fresh model's ONNX Runtime backend, once: {breakdown} (a fresh model does all of this on a background thread from its first cursor, overlapping the first row's decode)");
        var results = new Dictionary<string, List<double>>();
        // A fresh model: the trained S3D saved once and loaded from its zip in each repetition, so its first row also
        // pays for the scoring backend's preparation (ONNX export and session, on a background thread from the cursor).
        string zip = Path.Combine(work, "s3d-scoring.zip");
        var trainFrames = mlContext.Transforms.LoadVideoFrames(frameOptions).Fit(train).Transform(train);
        mlContext.Model.Save(network, trainFrames.Schema, zip);
        // The network alone: the same rows' frames decoded once and held in memory, so a row's time is its forward.
        var inMemoryContext = new MLContext(seed: 1);
        var inMemorySource = Rows(inMemoryContext, videos);
        var inMemory = inMemoryContext.Data.Cache(inMemoryContext.Transforms.LoadVideoFrames(frameOptions).Fit(inMemorySource).Transform(inMemorySource));
        using (var warm = inMemory.GetRowCursor(inMemory.Schema)) while (warm.MoveNext()) { }
        void Add(string key, double value) { if (!results.TryGetValue(key, out var l)) results[key] = l = []; l.Add(value); }
        for (int r = 0; r < repeats; r++)
        {
            // ffmpeg alone: one process per video, decoding the whole file scaled to the row size, output read and dropped.
            var watch = Stopwatch.StartNew();
            foreach (var video in videos)
                Ffmpeg(true, "-v", "error", "-i", "file:" + video, "-vf", $"scale={size}:{size}:flags=bilinear", "-an", "-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1");
            Add("ffmpeg loop", watch.Elapsed.TotalSeconds);
            watch.Restart();
            Ffmpeg(true, "-v", "error", "-i", "file:" + videos[0], "-vf", $"scale={size}:{size}:flags=bilinear", "-an", "-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1");
            Add("ffmpeg one", watch.Elapsed.TotalSeconds);

            foreach (var (name, readAhead, header) in Routes)
            {
                FfmpegDecoder.ReadMp4Headers = header;
                var context = new MLContext(seed: 1);
                var data = Rows(context, videos);
                var options = frameOptions.Clone();
                options.ReadAheadRows = readAhead;
                var frameModel = context.Transforms.LoadVideoFrames(options).Fit(data);   // fresh: nothing probed yet
                bool decodingOnly = name.StartsWith("decoding only", StringComparison.Ordinal);
                var (total, first) = TimeRows(() => decodingOnly ? frameModel.Transform(data) : network.Transform(frameModel.Transform(data)),
                    decodingOnly ? "Frames" : "Score");
                Add(name, total);
                Add(name + " first row", first);
            }
            FfmpegDecoder.ReadMp4Headers = true;
            var freshContext = new MLContext(seed: 1);
            var freshData = Rows(freshContext, videos);
            var freshFrames = freshContext.Transforms.LoadVideoFrames(frameOptions).Fit(freshData);
            watch.Restart();
            var loaded = freshContext.Model.Load(zip, out _);
            Add(ZipLoad, watch.Elapsed.TotalSeconds);
            var (freshAll, freshFirst) = TimeRows(() => loaded.Transform(freshFrames.Transform(freshData)), "Score");
            Add(FreshRoute, freshAll);
            Add(FreshRoute + " first row", freshFirst);
            (loaded as IDisposable)?.Dispose();
            var (all, firstAlone) = TimeRows(() => network.Transform(inMemory), "Score");
            Add(InMemoryRoute, all);
            Add(InMemoryRoute + " first row", firstAlone);
        }
        Console.WriteLine($"load average after: {File.ReadAllText("/proc/loadavg").Trim()}");
        double Median(string key) { var l = results[key].Order().ToList(); return l[l.Count / 2]; }
        double loop = Median("ffmpeg loop"), one = Median("ffmpeg one");
        Console.WriteLine();
        Console.WriteLine($"| route | videos/s | ÷ ffmpeg loop | first row, s | ÷ ffmpeg alone on one file |");
        Console.WriteLine("|---|---:|---:|---:|---:|");
        Console.WriteLine(FormattableString.Invariant($"| ffmpeg per video (bare loop) | {count / loop:F2} | 1.00× | {one:F3} | 1.00× |"));
        foreach (var name in Routes.Select(r => r.Name).Append(FreshRoute).Append(InMemoryRoute))
        {
            double total = Median(name), first = Median(name + " first row");
            Console.WriteLine(FormattableString.Invariant($"| {name} | {count / total:F2} | {loop / total:F2}× | {first:F3} | {first / one:F2}× |"));
        }
        Console.WriteLine($"(medians of {repeats} interleaved repetitions; loading the fresh model's zip, before its Transform: {Median(ZipLoad):F3} s)");
        return 0;
    }

    /// <summary>The library's routes: scoring (LoadVideoFrames → S3D) as it is now and as it was (no read-ahead, ffprobe per
    /// video), and decoding alone (LoadVideoFrames, the clip column read) as it is now.</summary>
    private static readonly (string Name, int ReadAhead, bool Header)[] Routes =
        [("library scoring", 2, true), ("library scoring, no read-ahead, ffprobe", 0, false), ("decoding only (LoadVideoFrames)", 2, true)];

    /// <summary>What a fresh model's ONNX Runtime backend costs, step by step: exporting the scoring graph, opening the
    /// session, its first run (cold) and a second run.</summary>
    private static string FreshBackendBreakdown(VideoClassifierTransformer<S3DSpec> model, string work, int rowSize)
    {
        string path = Path.Combine(work, "s3d-scoring.onnx");
        var watch = Stopwatch.StartNew();
        VideoClassifierOnnx.ExportScoringGraph(model, path);
        double export = watch.Elapsed.TotalSeconds;
        var bytes = File.ReadAllBytes(path);
        watch.Restart();
        using var session = MLNetVideo.Featurizers.Onnx.OnnxScoringSessions.Create(bytes, model.Info.ClipColumnName, model.Info.ScoreColumnName, 0);
        double open = watch.Elapsed.TotalSeconds;
        var row = new float[rowSize];
        watch.Restart();
        session.Run(row, 1);
        double cold = watch.Elapsed.TotalSeconds;
        watch.Restart();
        session.Run(row, 1);
        double warm = watch.Elapsed.TotalSeconds;
        return FormattableString.Invariant($"export {export:F3} s, session {open:F3} s, first run {cold:F3} s, second run {warm:F3} s");
    }

    private const string FreshRoute = "library scoring, fresh model (zip loaded just before)";
    private const string ZipLoad = "zip load";
    private const string InMemoryRoute = "network only (frames decoded before, in memory)";

    /// <summary>Seconds from <c>Transform</c> to the last row and to the first row's <paramref name="column"/>.</summary>
    private static (double Total, double First) TimeRows(Func<IDataView> transform, string column)
    {
        if (Environment.GetEnvironmentVariable("MLNV_TRACE") is not null) Console.Error.WriteLine($"TRACE {DateTime.UtcNow:HH:mm:ss.ffffff} transform {column}");
        var watch = Stopwatch.StartNew();
        var scored = transform();
        var col = scored.Schema[column];
        double first = 0;
        using (var cursor = scored.GetRowCursor([col]))
        {
            var getter = cursor.GetGetter<VBuffer<float>>(col);
            var value = default(VBuffer<float>);
            while (cursor.MoveNext())
            {
                getter(ref value);
                if (cursor.Position == 0)
                { first = watch.Elapsed.TotalSeconds; if (Environment.GetEnvironmentVariable("MLNV_TRACE") is not null) Console.Error.WriteLine($"TRACE {DateTime.UtcNow:HH:mm:ss.ffffff} first row done"); }
            }
        }
        return (watch.Elapsed.TotalSeconds, first);
    }

    /// <summary>The videos as rows to score (the label is not read).</summary>
    private static IDataView Rows(MLContext mlContext, IEnumerable<string> videos)
        => mlContext.Data.LoadFromEnumerable(videos.Select(v => new Row { VideoPath = v, Label = "a" }));

    private static void Ffmpeg(bool drain, params string[] arguments)
    {
        var info = new ProcessStartInfo("ffmpeg") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in arguments) info.ArgumentList.Add(a);
        using var process = Process.Start(info) ?? throw new InvalidOperationException("could not start ffmpeg");
        var stderr = process.StandardError.ReadToEndAsync();
        var buffer = new byte[1 << 16];
        var stdout = process.StandardOutput.BaseStream;
        while (stdout.Read(buffer) > 0) { }
        process.WaitForExit();
        if (process.ExitCode != 0) throw new InvalidOperationException($"ffmpeg failed: {stderr.Result}");
    }

    private static int Value(string[] args, string name, int fallback)
    {
        int at = Array.IndexOf(args, name);
        return at >= 0 && at + 1 < args.Length ? int.Parse(args[at + 1], CultureInfo.InvariantCulture) : fallback;
    }

    private sealed class Row
    {
        public string VideoPath { get; set; } = "";
        public string Label { get; set; } = "";
    }
}
