using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.ML;
using MLNetVideo.Tests.TestSupport;
using MLNetVideo.Tests.Transforms;
using MLNetVideo.Trainers.S3D;
using MLNetVideo.Transforms.Datasets;
using MLNetVideo.Transforms.Decoding;
using MLNetVideo.Transforms.SampleData;
using ServeModel;

namespace MLNetVideo.Tests.Examples;

/// <summary>
/// examples/ServeModel over real HTTP: the app runs in this process on Kestrel at 127.0.0.1 (a free port), a tiny model
/// trained here is served, and concurrent requests — good uploads, oversized, too long, not a video, wrong content type,
/// no file, folder paths inside and outside — get the right status codes and answers; no upload file is left behind.
/// </summary>
[TestClass, DoNotParallelize]
public sealed class ServeModelExampleTests
{
    private const int Frames = 8, Size = 32;
    private static TempFolder s_folder = null!;
    private static string s_videos = null!;
    private static string s_model = null!;

    [ClassInitialize]
    public static void TrainTinyModel(TestContext _)
    {
        s_folder = new TempFolder("mlnv-serve");
        s_videos = s_folder.File("videos");
        SyntheticActionVideos.Generate(s_videos, new SyntheticActionOptions
        {
            VideosPerClass = 2, Frames = Frames, Size = Size, Classes = [SyntheticAction.Left, SyntheticAction.Right, SyntheticAction.Up],
        });
        // Longer than the service's 2-second limit: 100 frames at 25 frames/s.
        SyntheticActionVideos.Encode(s_folder.File("long.mp4"), TestVideos.Ramp(100, Size, 2), Size, Size, 25, SyntheticVideoFormat.Mp4H264);

        var mlContext = new MLContext(seed: 1);
        var data = VideoDataset.FromDirectory(mlContext, s_videos);
        // VideoFolder is the training machine's folder, as in a real model: the service must not read from there.
        var pipeline = mlContext.Transforms.Conversion.MapValueToKey("Label")
            .Append(mlContext.Transforms.LoadVideoFrames("Frames", "VideoPath", videoFolder: s_videos, framesPerClip: Frames, frameInterval: 1,
                frameSize: Size, layout: ClipLayout.Cthw))
            .Append(mlContext.MulticlassClassification.Trainers.S3D(new S3DTrainer.Options
            {
                Variant = S3DVariant.S3DG, WidthMultiplier = 0.125, Epochs = 1, BatchSize = 3, Device = "cpu", Seed = 3, ClipColumnName = "Frames",
            }))
            .Append(mlContext.Transforms.Conversion.MapKeyToValue("PredictedLabel"));
        var model = pipeline.Fit(data);
        s_model = s_folder.File("model.zip");
        mlContext.Model.SaveAtomically(model, data.Schema, s_model);
    }

    [ClassCleanup]
    public static void Cleanup() => s_folder.Dispose();

    private static async Task<(WebApplication App, HttpClient Client, string Uploads)> StartAsync(string uploadRoot)
    {
        var app = ServeModelApp.Build([], o =>
        {
            o.ModelPath = s_model;
            o.VideoFolder = s_videos;
            o.MaxUploadBytes = 64 << 10;
            o.MaxVideoSeconds = 2;
            o.TopK = 2;
            o.UploadRoot = uploadRoot;
        });
        app.Urls.Clear();
        app.Urls.Add("http://127.0.0.1:0");
        await app.StartAsync();
        string address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        StringAssert.StartsWith(address, "http://127.0.0.1:");
        var client = new HttpClient { BaseAddress = new Uri(address), Timeout = TimeSpan.FromSeconds(120) };
        return (app, client, app.Services.GetRequiredService<UploadFolder>().Path);
    }

    private static MultipartFormDataContent Upload(byte[] bytes, string fileName, string contentType)
    {
        var file = new ByteArrayContent(bytes);
        file.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        return new MultipartFormDataContent { { new StringContent("note"), "comment" }, { file, "video", fileName } };
    }

    private sealed record Answer(HttpStatusCode Status, string Body);

    private static async Task<Answer> SendAsync(HttpClient client, string path, HttpContent content)
    {
        using var response = await client.PostAsync(path, content);
        return new Answer(response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    [TestMethod]
    public async Task ConcurrentRequests_GoodAndBad_RightAnswersAndStatusCodes_NoUploadLeft()
    {
        using var uploadRoot = new TempFolder("mlnv-serve-uploads");
        var (app, client, uploads) = await StartAsync(uploadRoot.Path);
        try
        {
            var videos = VideoDataset.List(s_videos);
            var health = JsonDocument.Parse(await client.GetStringAsync("/health")).RootElement;
            Assert.AreEqual("ok", health.GetProperty("status").GetString());
            CollectionAssert.AreEqual(new[] { "left", "right", "up" }, health.GetProperty("classes").EnumerateArray().Select(c => c.GetString()).ToArray());

            var good = videos.Select(v => SendAsync(client, "/predict",
                Upload(File.ReadAllBytes(Path.Combine(s_videos, v.VideoPath)), Path.GetFileName(v.VideoPath), "video/mp4"))).ToList();
            var garbage = new byte[4096];
            new Random(3).NextBytes(garbage);
            var bad = new Dictionary<string, Task<Answer>>
            {
                ["oversized"] = SendAsync(client, "/predict", Upload(new byte[100 << 10], "big.mp4", "video/mp4")),
                ["too long"] = SendAsync(client, "/predict", Upload(File.ReadAllBytes(s_folder.File("long.mp4")), "long.mp4", "video/mp4")),
                ["not a video"] = SendAsync(client, "/predict", Upload(garbage, "noise.mp4", "application/octet-stream")),
                ["text file"] = SendAsync(client, "/predict", Upload("hello"u8.ToArray(), "notes.txt", "text/plain")),
                ["json body"] = SendAsync(client, "/predict", JsonContent.Create(new { path = "up/000.mp4" })),
                ["no file part"] = SendAsync(client, "/predict", new MultipartFormDataContent { { new StringContent("x"), "comment" } }),
                ["path inside"] = SendAsync(client, "/predict/path", JsonContent.Create(new { path = videos[0].VideoPath })),
                ["path escaping"] = SendAsync(client, "/predict/path", JsonContent.Create(new { path = "../model.zip" })),
                ["path missing"] = SendAsync(client, "/predict/path", JsonContent.Create(new { path = "up/999.mp4" })),
            };
            await Task.WhenAll(good.Concat(bad.Values));

            // Good uploads: 200, the label and top-2 of this model for that file, as an in-process prediction gives them.
            using var reference = new VideoClassifierService(new ServeModelOptions { ModelPath = s_model, VideoFolder = s_videos, TopK = 2 }, uploads);
            for (int i = 0; i < videos.Count; i++)
            {
                var answer = good[i].Result;
                Assert.AreEqual(HttpStatusCode.OK, answer.Status, answer.Body);
                var json = JsonDocument.Parse(answer.Body).RootElement;
                var expected = await reference.PredictAsync(videos[i].VideoPath, fromUploads: false, CancellationToken.None);
                Assert.AreEqual(expected.Label, json.GetProperty("label").GetString(), videos[i].VideoPath);
                var top = json.GetProperty("top").EnumerateArray().Select(t => (Label: t.GetProperty("label").GetString()!, Score: t.GetProperty("score").GetSingle())).ToList();
                Assert.HasCount(2, top);
                Assert.AreEqual(expected.Top[0].Label, top[0].Label);
                Assert.AreEqual(expected.Top[1].Label, top[1].Label);
                Assert.AreEqual(expected.Top[0].Score, top[0].Score, 1e-5f);
                Assert.AreEqual(top[0].Score, json.GetProperty("score").GetSingle());
                Assert.IsTrue(top[0].Score >= top[1].Score && top[0].Score + top[1].Score <= 1.0001f);
            }

            void Expect(string name, HttpStatusCode status, string text)
            {
                var answer = bad[name].Result;
                Assert.AreEqual(status, answer.Status, $"{name}: {answer.Body}");
                StringAssert.Contains(answer.Body, text, name);
                Assert.DoesNotContain(uploads, answer.Body, $"{name}: the private folder must not be revealed");
                Assert.DoesNotContain(s_videos, answer.Body, $"{name}: the video folder must not be revealed");
            }
            Expect("oversized", HttpStatusCode.RequestEntityTooLarge, "larger than 65536 bytes");
            Expect("too long", HttpStatusCode.RequestEntityTooLarge, "the video lasts 4.0 s; this service accepts at most 2 s");
            Expect("not a video", HttpStatusCode.UnprocessableEntity, "InvalidData");
            Expect("text file", HttpStatusCode.UnsupportedMediaType, "'notes.txt' (text/plain) is not a video");
            Expect("json body", HttpStatusCode.UnsupportedMediaType, "multipart/form-data");
            Expect("no file part", HttpStatusCode.BadRequest, "no file part");
            Expect("path inside", HttpStatusCode.OK, "\"top\"");
            Expect("path escaping", HttpStatusCode.Forbidden, "OutsideVideoFolder");
            Expect("path missing", HttpStatusCode.NotFound, "NotFound");

            Assert.IsEmpty(Directory.GetFileSystemEntries(uploads), "every upload is deleted when its request ends");
            var after = JsonDocument.Parse(await client.GetStringAsync("/health")).RootElement;
            Assert.AreEqual(videos.Count + 1, after.GetProperty("predictions").GetInt64());
            if (!OperatingSystem.IsWindows())
                Assert.AreEqual(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(uploads));
        }
        finally
        {
            client.Dispose();
            await app.StopAsync();
            await app.DisposeAsync();
        }
        Assert.IsEmpty(Directory.GetFileSystemEntries(uploadRoot.Path), "the private upload folder is removed at shutdown");
    }

    [TestMethod]
    public void MissingModel_StopsStartUp_NamingTheFile()
    {
        var ex = Assert.ThrowsExactly<FileNotFoundException>(() => ServeModelApp.Build([], o => o.ModelPath = s_folder.File("nope.zip")));
        StringAssert.Contains(ex.Message, $"The model '{s_folder.File("nope.zip")}' does not exist");
        var bad = Assert.ThrowsExactly<ArgumentException>(() => ServeModelApp.Build([], o => { o.ModelPath = s_model; o.TopK = 0; }));
        StringAssert.Contains(bad.Message, "TopK");
    }
}
