using System.Diagnostics;
using Microsoft.ML;
using MLNetVideo.Tests.TestSupport;
using MLNetVideo.Tests.Transforms;
using MLNetVideo.Transforms.Decoding;
using MLNetVideo.Transforms.SampleData;

namespace MLNetVideo.Tests.Reliability;

/// <summary>
/// Issue 10, item 1 (CI size): a seeded corpus of mutated and random files under hostile names goes through
/// <c>LoadVideoFrames</c> with each <see cref="DecodeErrorPolicy"/>. Nothing may crash or hang, every failure is a
/// <see cref="VideoDecodingException"/> naming the file, the three policies agree on which files fail, and no
/// decoder process or temporary file is left. The 500-file run is <c>benchmarks/ReliabilityBenchmarks fuzz</c>.
/// </summary>
[TestClass, DoNotParallelize, TestCategory(TestCategories.Soak)]
public sealed class DecodingFuzzTests
{
    private const int FuzzSeed = 20261124;
    // Every mutation (6 kinds) under every hostile name (10 templates) once: the corpus cycles both, so 30 files cover all pairs.
    private const int FileCount = 30;
    private static readonly TimeSpan DecodeTimeout = TimeSpan.FromSeconds(15);

    private static string _folder = null!;
    private static List<VideoFuzzCorpus.Case> _cases = null!;

    [ClassInitialize]
    public static void Generate(TestContext _)
    {
        _folder = TestVideos.NewFolder("fuzz");
        string seeds = Path.Combine(_folder, "seeds");
        Directory.CreateDirectory(seeds);
        var sources = new[] { SyntheticVideoFormat.Mp4H264, SyntheticVideoFormat.WebmVp9, SyntheticVideoFormat.AviMjpeg, SyntheticVideoFormat.MkvH264 }
            .Select(format => TestVideos.WriteRamp(seeds, "seed-" + format, 8, 30, format)).ToList();
        _cases = VideoFuzzCorpus.Generate(_folder, sources, FileCount, FuzzSeed);
    }

    [ClassCleanup]
    public static void Cleanup() => TestVideos.DeleteFolder(_folder);

    private static VideoFrameLoadingEstimator.Options Options(DecodeErrorPolicy policy) => new()
    {
        InputColumnName = "VideoPath", FramesPerClip = 4, FrameInterval = 1, FrameSize = 16, Resize = ResizeMode.Stretch,
        VideoFolder = _folder, OnDecodeError = policy, DecodeTimeout = DecodeTimeout,
    };

    /// <summary>Runs the actions two at a time; the first assertion that fails fails the test.</summary>
    private static void InParallel(IEnumerable<Action> actions)
    {
        try
        {
            Parallel.ForEach(actions, new ParallelOptions { MaxDegreeOfParallelism = 2 }, a => a());
        }
        catch (AggregateException e) when (e.InnerExceptions.FirstOrDefault(x => x is AssertFailedException) is { } failed)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(failed).Throw();
        }
    }

    /// <summary>Outcome of one file under Throw: its clip, or the failure.</summary>
    private sealed record Outcome(float[]? Clip, VideoDecodingException? Error, TimeSpan Elapsed);

    [TestMethod, Timeout(300_000, CooperativeCancellation = true)]   // about 17 s on the idle 2-core machine
    public void MutatedFiles_EveryPolicy_FailCleanlyNamingTheFile_WithoutLeaks()
    {
        string temp = Path.Combine(Path.GetTempPath(), "mlnv-fuzz-tmp-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(temp);
        string? savedTemp = Environment.GetEnvironmentVariable("TMPDIR");
        Environment.SetEnvironmentVariable("TMPDIR", temp);   // ffmpeg/ffprobe and .NET would put temporary files here
        var before = Directory.GetFileSystemEntries(_folder, "*", SearchOption.AllDirectories).Order().ToArray();
        try
        {
            // Throw: one row at a time, so each file's outcome is known; two files at a time (each decode is mostly the start of
            // an ffprobe and an ffmpeg process), each with its own context.
            var outcomes = new Outcome[_cases.Count];
            InParallel(Enumerable.Range(0, _cases.Count).Select(i => (Action)(() =>
            {
                var c = _cases[i];
                var mlContext = new MLContext(seed: 1);
                var transformer = mlContext.Transforms.LoadVideoFrames(Options(DecodeErrorPolicy.Throw)).Fit(TestVideos.Paths(mlContext, "x"));
                var watch = Stopwatch.StartNew();
                try
                {
                    var clip = TestVideos.ReadClips(transformer.Transform(TestVideos.Paths(mlContext, c.Name))).Single();
                    outcomes[i] = new Outcome(clip, null, watch.Elapsed);
                }
                catch (VideoDecodingException e)
                {
                    outcomes[i] = new Outcome(null, e, watch.Elapsed);
                    StringAssert.Contains(e.Message, c.Name, $"the error must name the file ({c.Mutation}, seed {FuzzSeed})");
                    StringAssert.StartsWith(e.Message, "Row 0: could not load video '");
                    Assert.IsFalse(string.IsNullOrWhiteSpace(e.Reason), c.Mutation);
                }
                catch (Exception e) when (e is not AssertFailedException)
                {
                    Assert.Fail($"'{c.Name}' ({c.Mutation}, seed {FuzzSeed}) threw {e.GetType().Name} instead of a VideoDecodingException: {e}");
                }
                Assert.IsTrue(watch.Elapsed < 3 * DecodeTimeout + TimeSpan.FromSeconds(10), $"'{c.Name}' took {watch.Elapsed}");
            })));
            int failed = outcomes.Count(o => o.Error is not null);
            Assert.IsTrue(failed >= FileCount / 2, $"only {failed} of {FileCount} mutated files failed: the corpus is not hostile enough");
            Assert.IsTrue(outcomes.All(o => o.Error?.Failure != VideoDecodingFailure.Timeout), "no file may need the timeout at this size");

            var paths = _cases.Select(c => c.Name).ToArray();
            var expectedClips = outcomes.Where(o => o.Clip is not null).Select(o => o.Clip!).ToList();

            // Skip: the failing rows are dropped and counted, the others are the same clips. Fill: every row is kept; the
            // failing ones are all zeros. The two passes run side by side.
            var skipContext = new MLContext(seed: 1);
            var skipData = TestVideos.Paths(skipContext, paths);
            var skip = skipContext.Transforms.LoadVideoFrames(Options(DecodeErrorPolicy.Skip)).Fit(skipData);
            var fillContext = new MLContext(seed: 1);
            var fillData = TestVideos.Paths(fillContext, paths);
            var fill = fillContext.Transforms.LoadVideoFrames(Options(DecodeErrorPolicy.Fill)).Fit(fillData);
            List<float[]> skipped = null!, filled = null!;
            InParallel([() => skipped = TestVideos.ReadClips(skip.Transform(skipData)), () => filled = TestVideos.ReadClips(fill.Transform(fillData))]);
            Assert.AreEqual(failed, skip.SkippedRowCount);
            Assert.HasCount(expectedClips.Count, skipped);
            for (int i = 0; i < skipped.Count; i++)
                CollectionAssert.AreEqual(expectedClips[i], skipped[i], $"kept row {i}");

            Assert.HasCount(FileCount, filled);
            Assert.AreEqual(failed, fill.FilledRowCount);
            for (int i = 0; i < FileCount; i++)
            {
                if (outcomes[i].Error is not null)
                    Assert.IsTrue(filled[i].All(v => v == 0f), $"row {i} ({_cases[i].Mutation}) must be zeros");
                else
                    CollectionAssert.AreEqual(outcomes[i].Clip, filled[i], $"row {i}");
            }

            Assert.AreEqual(0, TestVideos.ChildDecoders(), "no ffmpeg/ffprobe child may outlive a decode");
            Assert.AreEqual(0, FfmpegProcess.Running);
            Assert.IsEmpty(Directory.GetFileSystemEntries(temp), "decoding must not write temporary files");
            CollectionAssert.AreEqual(before, Directory.GetFileSystemEntries(_folder, "*", SearchOption.AllDirectories).Order().ToArray(),
                "decoding must not create or delete files beside the videos");
            Console.WriteLine($"{FileCount} files, {failed} refused: " + string.Join(", ",
                outcomes.Where(o => o.Error is not null).GroupBy(o => o.Error!.Failure).Select(g => $"{g.Key} {g.Count()}")) +
                $"; slowest {outcomes.Max(o => o.Elapsed).TotalSeconds:0.00} s");
        }
        finally
        {
            Environment.SetEnvironmentVariable("TMPDIR", savedTemp);
            TestVideos.DeleteFolder(temp);
        }
    }
}
