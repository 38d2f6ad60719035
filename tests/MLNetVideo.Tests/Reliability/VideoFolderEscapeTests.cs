using Microsoft.ML;
using MLNetVideo.Tests.Transforms;
using MLNetVideo.Transforms.Decoding;
using MLNetVideo.Transforms.SampleData;

namespace MLNetVideo.Tests.Reliability;

/// <summary>
/// Issue 10, item 1: paths that try to leave <c>VideoFolder</c> in ways the decoding tests of issue 3 do not cover
/// (those cover "../x", an absolute path and a file that is itself a link): a folder link along the path, a frame
/// folder that is a link, a frame image that is a link, protocol-looking and NUL-containing paths, and a frame name
/// that would inject a line into the decoder's file list. Each is refused with a clear error and nothing is decoded.
/// </summary>
[TestClass, DoNotParallelize]
public sealed class VideoFolderEscapeTests
{
    private static string _root = null!;
    private static string _folder = null!;
    private static string _outside = null!;

    [ClassInitialize]
    public static void Generate(TestContext _)
    {
        _root = TestVideos.NewFolder("escape");
        _folder = Path.Combine(_root, "videos");
        _outside = Path.Combine(_root, "secret");
        Directory.CreateDirectory(_folder);
        Directory.CreateDirectory(_outside);
        TestVideos.WriteRamp(_outside, "secret", 8, 30);
        SyntheticActionVideos.Encode(Path.Combine(_outside, "frames"), TestVideos.Ramp(6, 32, 30), 32, 32, 25, SyntheticVideoFormat.PngFrames);
        TestVideos.WriteRamp(_folder, "good", 8, 30);
        SyntheticActionVideos.Encode(Path.Combine(_folder, "frames"), TestVideos.Ramp(6, 32, 30), 32, 32, 25, SyntheticVideoFormat.PngFrames);
        Directory.CreateSymbolicLink(Path.Combine(_folder, "linked-dir"), _outside);                       // a folder link along the path
        Directory.CreateSymbolicLink(Path.Combine(_folder, "linked-frames"), Path.Combine(_outside, "frames"));
        string mixed = Path.Combine(_folder, "mixed-frames");                                              // one image is a link out
        SyntheticActionVideos.Encode(mixed, TestVideos.Ramp(6, 32, 30), 32, 32, 25, SyntheticVideoFormat.PngFrames);
        File.Delete(Path.Combine(mixed, "3.png"));
        File.CreateSymbolicLink(Path.Combine(mixed, "3.png"), Path.Combine(_outside, "frames", "3.png"));
        Directory.CreateDirectory(Path.Combine(_folder, "inner"));
        Directory.CreateSymbolicLink(Path.Combine(_folder, "inner", "back-inside"), _folder);            // a link that stays inside
        string injected = Path.Combine(_folder, "injected-frames");
        SyntheticActionVideos.Encode(injected, TestVideos.Ramp(4, 32, 30), 32, 32, 25, SyntheticVideoFormat.PngFrames);
        // A name cannot hold '/', but it can add a directive that names a file relative to the decoder's working folder.
        File.Copy(Path.Combine(injected, "0.png"), Path.Combine(injected, "9.png\nfile 'file:secret.png'\n#.png"));
    }

    [ClassCleanup]
    public static void Cleanup() => TestVideos.DeleteFolder(_root);

    private static VideoFrameLoadingEstimator.Options Small() => new()
    {
        InputColumnName = "VideoPath", FramesPerClip = 4, FrameInterval = 1, FrameSize = 16, Resize = ResizeMode.Stretch, VideoFolder = _folder,
    };

    private static VideoDecodingException Refused(string path, VideoDecodingFailure failure)
    {
        var mlContext = new MLContext(seed: 1);
        var data = TestVideos.Paths(mlContext, path);
        var view = mlContext.Transforms.LoadVideoFrames(Small()).Fit(data).Transform(data);
        var ex = Assert.ThrowsExactly<VideoDecodingException>(() => TestVideos.ReadClips(view), path);
        Assert.AreEqual(failure, ex.Failure, ex.Message);
        Assert.AreEqual(0, TestVideos.ChildDecoders());
        return ex;
    }

    [TestMethod]
    public void FolderLinkAlongThePath_IsRefused()
    {
        var ex = Refused("linked-dir/secret.mp4", VideoDecodingFailure.OutsideVideoFolder);
        StringAssert.Contains(ex.Message, "symbolic link");
        StringAssert.Contains(ex.Message, _outside);
        StringAssert.Contains(ex.Message, "AllowPathsOutsideVideoFolder");
    }

    [TestMethod]
    public void FrameFolderThatIsALink_IsRefused()
        => StringAssert.Contains(Refused("linked-frames", VideoDecodingFailure.OutsideVideoFolder).Message, "symbolic link");

    [TestMethod]
    public void FrameImageThatIsALinkOutside_IsRefusedNamingTheImage()
        => StringAssert.Contains(Refused("mixed-frames", VideoDecodingFailure.OutsideVideoFolder).Message, "frame image '3.png' is a symbolic link");

    [TestMethod]
    public void FrameNameWithALineBreak_CannotInjectADecoderDirective()
        => StringAssert.Contains(Refused("injected-frames", VideoDecodingFailure.InvalidData).Message, "control character");

    [TestMethod]
    [DataRow("file:/etc/passwd")]
    [DataRow("concat:/etc/passwd|/etc/hosts")]
    [DataRow("http://127.0.0.1:9/x.mp4")]
    [DataRow("pipe:0")]
    public void ProtocolLookingPaths_AreFileNamesInsideTheFolder_AndDoNotExist(string path)
    {
        var ex = Refused(path, VideoDecodingFailure.NotFound);
        StringAssert.Contains(ex.Message, "the file does not exist");
        StringAssert.Contains(ex.Message, _folder);
    }

    [TestMethod]
    public void NulCharacterInThePath_IsRefusedAsInvalid()
        => StringAssert.Contains(Refused("good.mp4\0../../secret/secret.mp4", VideoDecodingFailure.NotFound).Message, "not valid");

    [TestMethod]
    public void LinksThatStayInside_StillLoad()
    {
        var mlContext = new MLContext(seed: 1);
        var data = TestVideos.Paths(mlContext, "inner/back-inside/good.mp4", "inner/back-inside/frames");
        var clips = TestVideos.ReadClips(mlContext.Transforms.LoadVideoFrames(Small()).Fit(data).Transform(data));
        Assert.HasCount(2, clips);
        Assert.IsTrue(clips.All(c => c.Max() > 0.1f));
    }

    [TestMethod]
    public void WithAllowPathsOutside_TheLinkedFolderLoads()
    {
        var options = Small();
        options.AllowPathsOutsideVideoFolder = true;
        var mlContext = new MLContext(seed: 1);
        var data = TestVideos.Paths(mlContext, "linked-dir/secret.mp4", "mixed-frames");
        Assert.HasCount(2, TestVideos.ReadClips(mlContext.Transforms.LoadVideoFrames(options).Fit(data).Transform(data)));
    }
}
