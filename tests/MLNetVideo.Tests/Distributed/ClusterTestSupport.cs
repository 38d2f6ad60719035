using Microsoft.Extensions.DependencyInjection;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetVideo.Distributed.Hosting;
using MLNetVideo.Distributed.Jobs;
using MLNetVideo.Trainers;
using MLNetVideo.Trainers.MoViNet;
using MLNetVideo.Trainers.S3D;
using MLNetVideo.Transforms.Decoding;
using MLNetVideo.Transforms.SampleData;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.TestingHost;

namespace MLNetVideo.Tests.Distributed;

/// <summary>Tiny videos, tiny models and a few silos on loopback (Orleans' in-process test cluster) for the distributed tests.</summary>
internal static class ClusterTestSupport
{
    public static readonly SyntheticAction[] Classes = [SyntheticAction.Left, SyntheticAction.Right, SyntheticAction.Up, SyntheticAction.Down];

    /// <summary>4 classes × <paramref name="perClass"/> mp4s of 8 frames at 32² (full paths, class then index order).</summary>
    public static IReadOnlyList<string> Videos(string folder, int perClass)
        => SyntheticActionVideos.Generate(folder, new SyntheticActionOptions { VideosPerClass = perClass, Frames = 8, Size = 32, Seed = 7, Classes = Classes })
            .Select(v => v.Path).ToArray();

    public static VideoFrameLoadingEstimator.Options Loader() => new()
    {
        InputColumnName = "VideoPath", OutputColumnName = "Frames", Sampling = SamplingMode.Uniform, FramesPerClip = 8, FrameSize = 32, Layout = ClipLayout.Cthw,
    };

    /// <summary>A tiny S3D-G trained for four epochs of batches of 2 with AdamW, saved with its decoding step (path → label).
    /// Its scores depend on the video: on the 16 videos of <see cref="VideoJobTests"/> the first class's score spans about
    /// 0.006, where batches of 8 with the default optimiser left every video within 5e-5 of the others, close to the 1e-5
    /// the tests compare scores with (the same number of clips, so about the same time).</summary>
    public static string TrainScorer(string folder, IReadOnlyList<string> videos)
        => Train(Path.Combine(folder, "scorer.zip"), videos, ml => ml.MulticlassClassification.Trainers.S3D(new S3DTrainer.Options
        {
            Variant = S3DVariant.S3DG, WidthMultiplier = 0.125, Epochs = 4, BatchSize = 2, Optimizer = VideoOptimizer.AdamW,
            LearningRate = 5e-3, WarmupEpochs = 0, Seed = 3, Device = "cpu",
        }));

    /// <summary>A tiny stream-mode MoViNet-A0 trained for four epochs (its ReZero scales leave 0, so logits depend on the
    /// frames), saved with its decoding step.</summary>
    public static string TrainStreamModel(string folder, IReadOnlyList<string> videos)
        => Train(Path.Combine(folder, "movinet-stream.zip"), videos, ml => ml.MulticlassClassification.Trainers.MoViNet(new MoViNetTrainer.Options
        {
            Variant = MoViNetVariant.A0, Mode = MoViNetMode.Stream, WidthMultiplier = 0.25, ClassifierHiddenChannels = 32, FrameSize = 32,
            Epochs = 4, BatchSize = 4, Optimizer = VideoOptimizer.AdamW, LearningRate = 1e-2, WarmupEpochs = 0, Seed = 3, Device = "cpu",
        }));

    /// <summary>Label (the folder name) → key, LoadVideoFrames, the trainer, key → label; fitted and saved.</summary>
    private static string Train(string zip, IReadOnlyList<string> videos, Func<MLContext, IEstimator<ITransformer>> trainer)
    {
        var mlContext = new MLContext(seed: 1);
        var data = mlContext.Data.LoadFromEnumerable(videos.Select(v => new LabelledVideo { VideoPath = v, Label = Path.GetFileName(Path.GetDirectoryName(v))! }));
        var model = mlContext.Transforms.Conversion.MapValueToKey("Label")
            .Append(mlContext.Transforms.LoadVideoFrames(Loader()))
            .AppendCacheCheckpoint(mlContext)
            .Append(trainer(mlContext))
            .Append(mlContext.Transforms.Conversion.MapKeyToValue("PredictedLabel"))
            .Fit(data);
        mlContext.Model.Save(model, data.Schema, zip);
        (model as IDisposable)?.Dispose();
        return zip;
    }

    /// <summary>Scores, labels of the single-process reference: <c>Transform</c> of the whole list at once.</summary>
    public static List<(string Label, float[] Scores)> TransformInOneProcess(string zip, IReadOnlyList<string> videos)
    {
        var mlContext = new MLContext(seed: 1);
        var model = mlContext.Model.Load(zip, out _);
        var scored = model.Transform(mlContext.Data.LoadFromEnumerable(videos.Select(v => new LabelledVideo { VideoPath = v })));
        var result = new List<(string, float[])>();
        using var cursor = scored.GetRowCursor([scored.Schema["Score"], scored.Schema["PredictedLabel"]]);
        var score = cursor.GetGetter<VBuffer<float>>(scored.Schema["Score"]);
        var label = cursor.GetGetter<ReadOnlyMemory<char>>(scored.Schema["PredictedLabel"]);
        VBuffer<float> s = default;
        ReadOnlyMemory<char> l = default;
        while (cursor.MoveNext())
        {
            score(ref s);
            label(ref l);
            result.Add((l.ToString(), s.DenseValues().ToArray()));
        }
        (model as IDisposable)?.Dispose();
        return result;
    }

    /// <summary>An in-process cluster with the MLNetVideo grains, fast failure detection and short timeouts.</summary>
    public static async Task<InProcessTestCluster> StartAsync(short silos, string stateFolder, TimeSpan? cameraIdle = null)
    {
        var builder = new InProcessTestClusterBuilder(silos);
        builder.Options.ConfigureFileLogging = false;
        builder.ConfigureSilo((_, silo) =>
        {
            silo.AddMLNetVideo(new MLNetVideoSiloOptions
            {
                StateFolder = stateFolder,
                MaxConcurrentShards = 1,
                PollInterval = TimeSpan.FromMilliseconds(50),
                CameraIdleTimeout = cameraIdle ?? TimeSpan.FromMinutes(10),
            });
            silo.Configure<ClusterMembershipOptions>(o =>
            {
                o.ProbeTimeout = TimeSpan.FromSeconds(1);
                o.NumMissedProbesLimit = 2;
                o.NumVotesForDeathDeclaration = 1;
                o.TableRefreshTimeout = TimeSpan.FromSeconds(1);
            });
            silo.Configure<SiloMessagingOptions>(o => o.ResponseTimeout = TimeSpan.FromSeconds(10));
        });
        builder.ConfigureClient(client =>
        {
            client.AddMLNetVideo();
            client.Configure<ClientMessagingOptions>(o => o.ResponseTimeout = TimeSpan.FromSeconds(10));
        });
        var cluster = builder.Build();
        await cluster.DeployAsync();
        return cluster;
    }

    public static T SiloService<T>(InProcessTestCluster cluster, InProcessSiloHandle silo) where T : notnull
        => cluster.GetSiloServiceProvider(silo.SiloAddress).GetRequiredService<T>();

    /// <summary>The silo whose identity a grain reported (<c>Grain.RuntimeIdentity</c>).</summary>
    public static InProcessSiloHandle SiloNamed(InProcessTestCluster cluster, string identity)
        => cluster.Silos.Single(s => identity == s.SiloAddress.ToString() || identity == s.SiloAddress.ToParsableString() || identity.Contains(s.SiloAddress.Endpoint.ToString(), StringComparison.Ordinal));

    public sealed class LabelledVideo
    {
        public string VideoPath { get; set; } = "";

        public string Label { get; set; } = "";
    }
}
