using System.Text.Json.Nodes;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetVideo.Cli;
using MLNetVideo.Tests.TestSupport;
using MLNetVideo.Tests.Trainers;
using MLNetVideo.Tests.Transforms;
using MLNetVideo.Trainers.S3D;
using MLNetVideo.Transforms.Decoding;

namespace MLNetVideo.Tests.Reliability;

/// <summary>
/// Issue 15, item 1: executables never come from a model, nor from the current directory. A zip whose settings name a
/// script as ffmpeg/ffprobe (the attack that made <c>mlnetvideo predict</c> run any program) loads and predicts with the
/// process's decoder and never runs the script; a file named <c>ffprobe</c> in the current directory, or a relative PATH
/// entry, is never run; programs are found once, on PATH, as absolute paths.
/// </summary>
[TestClass, DoNotParallelize]
public sealed class DecoderProgramTests
{
    private static string _folder = null!;
    private static string _video = null!;

    [ClassInitialize]
    public static void Generate(TestContext _)
    {
        _folder = TestVideos.NewFolder("programs");
        _video = TestVideos.WriteRamp(_folder, "clip", 8, 30);
    }

    [ClassCleanup]
    public static void Cleanup() => TestVideos.DeleteFolder(_folder);

    /// <summary>A script that leaves <paramref name="marker"/> behind when it runs, and fails.</summary>
    private static string MarkerScript(string path, string marker)
    {
        File.WriteAllText(path, $"#!/bin/sh\necho ran >> '{marker}'\nexit 1\n");
        if (OperatingSystem.IsLinux() || OperatingSystem.IsMacOS())
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        else
            Assert.Inconclusive("needs a shell script as a program");
        return path;
    }

    public sealed class VideoRow
    {
        public string VideoPath { get; set; } = "";

        public string Label { get; set; } = "";
    }

    /// <summary>A LoadVideoFrames + tiny S3D-G + MapKeyToValue chain over full paths: what `mlnetvideo predict` loads.</summary>
    private static string SaveClassifier(string zip)
    {
        var mlContext = new MLContext(seed: 1);
        var clips = SyntheticClips.LoadKeyed(mlContext, SyntheticClips.Motion(4, seed: 1));
        var s3d = mlContext.MulticlassClassification.Trainers.S3D(new S3DTrainer.Options
        {
            Variant = S3DVariant.S3DG, WidthMultiplier = 0.125, Epochs = 1, BatchSize = 4, Device = "cpu", Seed = 3,
        }).Fit(clips);
        var keyToValue = mlContext.Transforms.Conversion.MapKeyToValue("PredictedLabel").Fit(s3d.Transform(clips));
        var paths = mlContext.Data.LoadFromEnumerable(new[] { new VideoRow { VideoPath = _video, Label = "left" } });
        var loader = mlContext.Transforms.LoadVideoFrames(new VideoFrameLoadingEstimator.Options
        {
            InputColumnName = "VideoPath", OutputColumnName = "Frames", Sampling = SamplingMode.Uniform, FramesPerClip = 8, FrameSize = 32,
            Layout = ClipLayout.Cthw,
        }).Fit(paths);
        mlContext.Model.SaveAtomically(new TransformerChain<ITransformer>(loader, s3d, keyToValue), paths.Schema, zip);
        return zip;
    }

    /// <summary>Adds the programs the way older zips stored them, with the manifest hash rewritten to match.</summary>
    private static void NameProgramsInTheZip(string zip, string program)
    {
        string entry = ModelZipTampering.EntriesEndingWith(zip, "/Options.json")
            .Single(e => ModelZipTampering.Read(zip, e).AsSpan().IndexOf("FramesPerClip"u8) >= 0);
        var options = JsonNode.Parse(ModelZipTampering.Read(zip, entry))!.AsObject();
        options["FfmpegPath"] = program;
        options["FfprobePath"] = program;
        ModelZipTampering.Replace(zip, entry, System.Text.Encoding.UTF8.GetBytes(options.ToJsonString()));
    }

    [TestMethod]
    public void SavedSettings_NameNoProgram()
    {
        using var folder = new TempFolder();
        string zip = SaveClassifier(folder.File("model.zip"));
        var json = string.Concat(ModelZipTampering.EntriesEndingWith(zip, ".json").Select(e => System.Text.Encoding.UTF8.GetString(ModelZipTampering.Read(zip, e))));
        Assert.DoesNotContain("Ffmpeg", json, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("Ffprobe", json, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("ffmpeg", json);
    }

    [TestMethod]
    public void ZipNamingAScriptAsDecoder_PredictNeverRunsIt()
    {
        using var folder = new TempFolder();
        string marker = folder.File("script-ran");
        string script = MarkerScript(folder.File("evil.sh"), marker);
        string zip = SaveClassifier(folder.File("model.zip"));
        NameProgramsInTheZip(zip, script);

        // The CLI, as the attack used it.
        var (exit, output, error) = CliRun.Run("predict", "--model", zip, _video);
        Assert.AreEqual(CliApp.Success, exit, error);
        StringAssert.Contains(output, "clip.mp4");
        // The library, through plain ML.NET loading and MLNetVideo's loading.
        var mlContext = new MLContext();
        var input = mlContext.Data.LoadFromEnumerable(new[] { new VideoRow { VideoPath = _video, Label = "left" } });
        foreach (var model in new[] { mlContext.Model.Load(zip, out _), mlContext.Model.Load(zip, new VideoModelLoadOptions(), out _) })
        {
            var clip = TestVideos.ReadClips(((TransformerChain<ITransformer>)model).First().Transform(input))[0];
            Assert.IsTrue(clip.Any(v => v > 0.05f), "the real decoder decoded the video");
            var scores = TestVideos.ReadClips(model.Transform(input), "Score")[0];
            Assert.AreEqual(1.0, scores.Sum(), 1e-4);
        }
        Assert.IsFalse(File.Exists(marker), "a program named by the zip ran");
    }

    [TestMethod]
    public void ProgramsInTheCurrentDirectoryOrOnARelativePathEntry_AreNeverRun()
    {
        using var folder = new TempFolder();
        string marker = folder.File("planted-ran");
        MarkerScript(folder.File("ffprobe"), marker);
        MarkerScript(folder.File("ffmpeg"), marker);
        string previousDirectory = Environment.CurrentDirectory;
        string? previousPath = Environment.GetEnvironmentVariable("PATH");
        try
        {
            Environment.CurrentDirectory = folder.Path;
            // An empty entry and "." both mean the current directory to a shell; Process.Start would also look there.
            Environment.SetEnvironmentVariable("PATH", $".{Path.PathSeparator}{Path.PathSeparator}bin{Path.PathSeparator}{previousPath}");
            VideoDecoding.FfmpegPath = null;   // forget what was found before, so this PATH is searched now
            VideoDecoding.FfprobePath = null;
            var mlContext = new MLContext();
            var data = mlContext.Data.LoadFromEnumerable(new[] { new TestVideos.PathRow { VideoPath = _video } });
            var view = mlContext.Transforms.LoadVideoFrames(new VideoFrameLoadingEstimator.Options
            {
                InputColumnName = "VideoPath", FramesPerClip = 2, FrameSize = 16, Resize = ResizeMode.Stretch,
            }).Fit(data).Transform(data);
            Assert.IsTrue(TestVideos.ReadClips(view)[0].Any(v => v > 0.05f));
            Assert.IsFalse(File.Exists(marker), "a program in the current directory ran");
            foreach (var program in new[] { VideoDecoding.FfmpegPath, VideoDecoding.FfprobePath })
            {
                Assert.IsTrue(Path.IsPathFullyQualified(program), program);
                Assert.IsFalse(program.StartsWith(folder.Path, StringComparison.Ordinal), program);
            }
        }
        finally
        {
            Environment.CurrentDirectory = previousDirectory;
            Environment.SetEnvironmentVariable("PATH", previousPath);
            VideoDecoding.FfmpegPath = null;
            VideoDecoding.FfprobePath = null;
        }
    }

    [TestMethod]
    public void ProgramSettings_AreAbsoluteOrBareNames_AndTheEnvironmentVariableIsHonoured()
    {
        Assert.ThrowsExactly<ArgumentException>(() => VideoDecoding.FfmpegPath = "./ffmpeg");
        Assert.ThrowsExactly<ArgumentException>(() => VideoDecoding.FfprobePath = "tools/ffprobe");
        Assert.IsNull(ExecutableSearch.Find("ffprobe", pathVariable: $".{Path.PathSeparator}{Path.PathSeparator}relative/bin"));
        string? real = ExecutableSearch.Find("ffprobe");
        Assert.IsNotNull(real, "ffprobe on PATH");
        using var folder = new TempFolder();
        string marker = folder.File("variable-ran");
        string chosen = MarkerScript(folder.File("my-ffprobe"), marker);
        try
        {
            Environment.SetEnvironmentVariable(VideoDecoding.FfprobeVariable, chosen);
            VideoDecoding.FfprobePath = null;
            Assert.AreEqual(chosen, VideoDecoding.FfprobePath, "the application's environment variable names the program");
            Environment.SetEnvironmentVariable(VideoDecoding.FfprobeVariable, "relative/ffprobe");
            VideoDecoding.FfprobePath = null;
            var e = Assert.ThrowsExactly<FileNotFoundException>(() => VideoDecoding.FfprobePath);
            StringAssert.Contains(e.Message, VideoDecoding.FfprobeVariable);
        }
        finally
        {
            Environment.SetEnvironmentVariable(VideoDecoding.FfprobeVariable, null);
            VideoDecoding.FfprobePath = null;
        }
        Assert.AreEqual(real, VideoDecoding.FfprobePath);
        Assert.IsFalse(File.Exists(marker));
    }
}
