// Measures S3D / S3D-G training and inference clips/s and the achieved GFLOP/s (FLOPs = 2 × MACs counted from the
// layer shapes by S3DCost; training counted as 3 × forward, the usual forward + 2 × backward convention), next to a
// float32 matrix-multiply GFLOP/s measured in the same process. Usage: TrainerBenchmarks [output.md] [--quick]
using System.Diagnostics;
using System.Globalization;
using System.Text;
using MLNetVideo.Trainers.S3D;
using TorchSharp;
using static TorchSharp.torch;

CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
string output = args.FirstOrDefault(a => !a.StartsWith("--", StringComparison.Ordinal)) ?? "out/trainer-benchmarks.md";
bool quick = args.Contains("--quick");
torch.manual_seed(1);
var device = torch.cuda.is_available() ? CUDA : CPU;

double matmulGflops = MatmulGflops(device);
Console.WriteLine($"matmul: {matmulGflops:F1} GFLOP/s");
var rows = new List<string>();
foreach (var variant in new[] { S3DVariant.S3D, S3DVariant.S3DG })
{
    foreach (var (frames, size, batch, iterations) in new[] { (16, 112, 2, quick ? 1 : 3), (32, 224, 1, quick ? 1 : 2) })
    {
        var spec = S3DSpecs.For(variant, numClasses: 400);
        long macs = S3DCost.MultiplyAccumulates(spec, frames, size, size);
        using var network = (S3DNetwork)S3DBackbone.Instance.CreateNetwork(spec);
        network.to(device);
        double inference = ClipsPerSecond(network, batch, frames, size, iterations, train: false, device);
        double training = ClipsPerSecond(network, batch, frames, size, iterations, train: true, device);
        double inferenceGflops = inference * 2 * macs / 1e9, trainingGflops = training * 3 * 2 * macs / 1e9;
        string row = $"| {variant} | {frames}×{size}² | {macs / 1e9:F2} | {batch} | {inference:F2} | {inferenceGflops:F1} | {inferenceGflops / matmulGflops:P0} | " +
                     $"{training:F2} | {trainingGflops:F1} | {trainingGflops / matmulGflops:P0} |";
        Console.WriteLine(row);
        rows.Add(row);
        Write(output, device, matmulGflops, rows);   // after every row, so a run cut short still leaves its figures
    }
}
Console.WriteLine($"wrote {output}");

static void Write(string output, Device device, double matmulGflops, List<string> rows)
{
var md = new StringBuilder();
md.AppendLine("# Trainer benchmarks (S3D / S3D-G)");
md.AppendLine();
md.AppendLine($"Measured {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC by `benchmarks/TrainerBenchmarks` on {device.type}, {Environment.ProcessorCount} logical cores, " +
              $"torch threads {torch.get_num_threads()}, TorchSharp-cpu 0.107 (libtorch 2.10), .NET {Environment.Version}.");
md.AppendLine();
md.AppendLine($"Reference: float32 matrix multiply 2048×2048 in the same process: **{matmulGflops:F1} GFLOP/s**.");
md.AppendLine();
md.AppendLine("FLOPs are 2 × MACs counted from the layer shapes (`S3DCost`, convolutions + gates + classifier; 17.98 GMACs for S3D at 16×224², as torchvision lists). " +
              "Training FLOPs = 3 × forward. Full-width networks, 400 classes, random inputs, one warm-up iteration not timed; " +
              "training = forward + cross-entropy + backward + SGD step. The ratio column is achieved GFLOP/s ÷ matmul GFLOP/s.");
md.AppendLine();
md.AppendLine("| variant | clip | GMACs/clip | batch | inference clips/s | inference GFLOP/s | ratio | training clips/s | training GFLOP/s | ratio |");
md.AppendLine("|---|---|---|---|---|---|---|---|---|---|");
foreach (var row in rows) md.AppendLine(row);
md.AppendLine();
md.AppendLine("Caveat: the machine's 2 cores were shared with other jobs during the run, so absolute figures are noisy; " +
              "the matmul reference was taken in the same run to make the ratio meaningful.");
Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(output))!);
File.WriteAllText(output, md.ToString());
}

static double MatmulGflops(Device device)
{
    const int n = 2048;
    using var scope = NewDisposeScope();
    var a = randn([n, n], device: device);
    var b = randn([n, n], device: device);
    using (var warm = matmul(a, b)) { }
    int reps = 5;
    var clock = Stopwatch.StartNew();
    for (int i = 0; i < reps; i++)
        using (var c = matmul(a, b)) { if (device.type == DeviceType.CUDA) torch.cuda.synchronize(); }
    return reps * 2.0 * n * n * n / clock.Elapsed.TotalSeconds / 1e9;
}

static double ClipsPerSecond(S3DNetwork network, int batch, int frames, int size, int iterations, bool train, Device device)
{
    using var optimizer = optim.SGD(network.parameters(), 1e-4, momentum: 0.9);
    double seconds = 0;
    for (int i = 0; i <= iterations; i++)
    {
        using var scope = NewDisposeScope();
        var x = randn([batch, 3, frames, size, size], device: device);
        var clock = Stopwatch.StartNew();
        if (train)
        {
            network.train();
            var loss = nn.functional.cross_entropy(network.call(x), zeros([batch], ScalarType.Int64, device));
            loss.backward();
            optimizer.step();
            optimizer.zero_grad();
            _ = loss.item<float>();
        }
        else
        {
            network.eval();
            using var inference = inference_mode();
            _ = network.call(x).cpu();
        }
        if (i > 0) seconds += clock.Elapsed.TotalSeconds;   // iteration 0 is the warm-up
    }
    return iterations * batch / seconds;
}
