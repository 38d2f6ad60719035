using System.Diagnostics;
using System.Globalization;
using MLNetVideo.Trainers.S3D;
using TorchSharp;
using static TorchSharp.torch;

/// <summary>
/// Issue 22, item 4: S3D training time by block, to set against the same decomposition in PyTorch 1.13
/// (benchmarks/python/s3d_profile.py, torchvision's S3D, whose blocks are the same layers). Each block of
/// <c>base</c> runs forward and backward on the input it gets inside the network (train mode), timed separately; then
/// the whole training step (forward, cross-entropy, backward, SGD). Prints "BLOCK i name fwd bwd" and "STEP s" lines.
///
///   EvlBenchmarks s3d-profile [--threads 1] [--frames 16] [--size 112] [--repeats 3]
/// </summary>
internal static class S3DProfile
{
    public static int Run(string[] args)
    {
        int threads = Value(args, "--threads", 1), frames = Value(args, "--frames", 16), size = Value(args, "--size", 112), repeats = Value(args, "--repeats", 3);
        MLNetVideo.VideoRuntime.Threads = threads;
        _ = MLNetVideo.Devices.DeviceResolver.Resolve("cpu");
        torch.manual_seed(1);
        using var network = new S3DNetwork(S3DSpecs.For(S3DVariant.S3D, numClasses: 400));
        network.train();
        var blocks = network.named_children().Single(c => c.name == "base").module.named_children().ToList();
        Console.WriteLine($"torch threads {torch.get_num_threads()}, OMP_WAIT_POLICY={MLNetVideo.VideoRuntime.WaitPolicy}, clip 1×3×{frames}×{size}²");

        using var input = randn([1, 3, frames, size, size]);
        var x = input.alias();
        double totalForward = 0, totalBackward = 0;
        for (int i = 0; i < blocks.Count; i++)
        {
            var (name, module) = blocks[i];
            var block = (nn.Module<Tensor, Tensor>)module;
            var inputGrad = i > 0;
            double forward = 0, backward = 0;
            Tensor next;
            {
                var fw = new List<double>();
                var bw = new List<double>();
                for (int r = 0; r <= repeats; r++)
                {
                    using var scope = NewDisposeScope();
                    var leaf = x.detach().requires_grad_(inputGrad);
                    var watch = Stopwatch.StartNew();
                    var y = block.forward(leaf);
                    double f = watch.Elapsed.TotalSeconds;
                    var grad = ones_like(y);
                    watch.Restart();
                    y.backward([grad]);
                    double b = watch.Elapsed.TotalSeconds;
                    if (r > 0) { fw.Add(f); bw.Add(b); }
                    foreach (var p in block.parameters()) p.grad?.zero_();
                }
                forward = fw.Order().ElementAt(fw.Count / 2);
                backward = bw.Order().ElementAt(bw.Count / 2);
                using (no_grad())
                    next = block.forward(x.detach()).MoveToOuterDisposeScope();
            }
            Console.WriteLine(FormattableString.Invariant($"BLOCK {i} {name} {block.GetType().Name} {forward:F4} {backward:F4} {string.Join("x", next.shape)}"));
            totalForward += forward;
            totalBackward += backward;
            x.Dispose();
            x = next;
        }
        x.Dispose();
        Console.WriteLine(FormattableString.Invariant($"BLOCKS forward {totalForward:F4} backward {totalBackward:F4}"));

        using var label = tensor(new long[] { 3 });
        using var optimizer = optim.SGD(network.parameters(), 1e-4, momentum: 0.9);
        var steps = new List<double>();
        for (int r = 0; r <= repeats; r++)
        {
            using var scope = NewDisposeScope();
            var watch = Stopwatch.StartNew();
            optimizer.zero_grad();
            nn.functional.cross_entropy(network.forward(input), label).backward();
            optimizer.step();
            if (r > 0) steps.Add(watch.Elapsed.TotalSeconds);
        }
        Console.WriteLine(FormattableString.Invariant($"STEP {steps.Order().ElementAt(steps.Count / 2):F4}"));
        return 0;
    }

    private static int Value(string[] args, string name, int fallback)
    {
        int at = Array.IndexOf(args, name);
        return at >= 0 && at + 1 < args.Length ? int.Parse(args[at + 1], CultureInfo.InvariantCulture) : fallback;
    }
}
