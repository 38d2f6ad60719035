// ClusterScoring: score a video archive across a local Orleans cluster (MLNetVideo.Orleans).
// Run: dotnet run --project examples/ClusterScoring -c Release -- [--videos DIR] [--model model.zip] [--silos 2] [--epochs 8] [--output DIR]
//      [--videos-per-class 6]
// Without --videos it generates the synthetic sample set (--videos-per-class of each of the four motions); without --model
// it trains a small S3D-G on it first.
using ClusterScoring;
using MLNetVideo.Distributed.Jobs;
using MLNetVideo.Transforms.SampleData;

string Option(string name, string fallback) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault() ?? fallback;
string output = Path.GetFullPath(Option("--output", "out/cluster-scoring"));
int silos = int.Parse(Option("--silos", "2"), System.Globalization.CultureInfo.InvariantCulture);
int epochs = int.Parse(Option("--epochs", "8"), System.Globalization.CultureInfo.InvariantCulture);
int videosPerClass = int.Parse(Option("--videos-per-class", "6"), System.Globalization.CultureInfo.InvariantCulture);
Directory.CreateDirectory(output);

// 1. The archive: a folder of videos (here the built-in synthetic set: a shape moving left, right, up or down).
string videoFolder = Option("--videos", Path.Combine(output, "videos"));
if (!args.Contains("--videos"))
    SyntheticActionVideos.Generate(videoFolder, new SyntheticActionOptions
    {
        VideosPerClass = videosPerClass, Frames = 8, Size = 32, Seed = 7,
        Classes = [SyntheticAction.Left, SyntheticAction.Right, SyntheticAction.Up, SyntheticAction.Down],
    });
var videos = VideoList.FromFolder(videoFolder);
Console.WriteLine($"{videos.Count} videos in {videoFolder}");

// 2. The model: a saved zip (trained here when none is given).
string model = Option("--model", Path.Combine(output, "model.zip"));
if (!args.Contains("--model"))
{
    Console.WriteLine($"Training S3D-G for {epochs} epochs ...");
    ClusterScoringModel.Train(videos, model, epochs);
}

// 3. The job: shards of 4 videos on the silos; one JSON line per video.
var results = await ClusterScoringModel.ScoreOnClusterAsync(model, videos, Path.Combine(output, "scores"), silos);
foreach (var r in results.Take(4))
    Console.WriteLine($"  {Path.GetFileName(Path.GetDirectoryName(r.Video))}/{Path.GetFileName(r.Video)}: {(r.Ok ? $"{r.Label} ({r.Top![0].Score:P0})" : "failed: " + r.Error)}");
int correct = results.Count(r => r.Ok && r.Label == Path.GetFileName(Path.GetDirectoryName(r.Video)));
Console.WriteLine($"{correct}/{results.Count} labelled as their folder. All results: {Path.Combine(output, "scores", JobOutput.ResultsFileName)}");
// Expected output (2 silos, 24 videos; rates depend on the machine):
//   24 videos in out/cluster-scoring/videos
//   Training S3D-G for 8 epochs ...
//     0/24 videos (0 failed), 0.0 videos/s, ETA ?
//     ...
//     24/24 videos (0 failed), 6.0 videos/s, ETA 0 s, finished
//   Finished: 24 videos, 0 failed.
//     down/000.mp4: down (61 %)
//   ...
return 0;
