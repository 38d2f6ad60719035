using System.Diagnostics;
using System.Globalization;
using MLNetVideo.Trainers.S3D;
using TorchSharp;
using static TorchSharp.torch;

/// <summary>
/// Issue 22, item 4, with the same libtorch, BLAS and threads: a training step of MLNetVideo's S3DNetwork against the
/// same S3D traced to TorchScript by PyTorch (benchmarks/python/s3d_torchscript.py) and run by TorchSharp's
/// <c>torch.jit.load</c> in this process — the same libtorch 2.10, oneDNN and thread pool — so the difference is the C#
/// side (module calls, tensor handles, dispose scopes) against TorchScript's interpreter. Weights are copied from the
/// archive into S3DNetwork (same layer order and shapes). Steps are interleaved (ours, peer, ours, peer …) after a
/// warm-up of each; medians are printed, then the ratio. Prints "STEP ours|peer s" lines and "RATIO r".
///
///   EvlBenchmarks s3d-jit-peer --jit out/s3d_train_b2.pt [--threads 1] [--batch 2] [--frames 16] [--size 112] [--repeats 5]
///                [--blocks] [--overhead]
/// </summary>
internal static class S3DJitPeer
{
    public static int Run(string[] args)
    {
        int threads = Value(args, "--threads", 1), frames = Value(args, "--frames", 16), size = Value(args, "--size", 112),
            repeats = Value(args, "--repeats", 5), batch = Value(args, "--batch", 2);
        int at = Array.IndexOf(args, "--jit");
        if (at < 0 || at + 1 >= args.Length)
        {
            Console.Error.WriteLine("s3d-jit-peer needs --jit <archive> (benchmarks/python/s3d_torchscript.py writes it).");
            return 2;
        }
        string path = args[at + 1];
        MLNetVideo.VideoRuntime.Threads = threads;
        _ = MLNetVideo.Devices.DeviceResolver.Resolve("cpu");
        Console.WriteLine($"torch threads {torch.get_num_threads()}, OMP_WAIT_POLICY={MLNetVideo.VideoRuntime.WaitPolicy}, clip {batch}×3×{frames}×{size}²");

        using var peer = torch.jit.load<Tensor, Tensor>(path);
        peer.train();
        var peerParameters = peer.named_parameters().ToList();
        var peerBuffers = peer.named_buffers().ToList();
        Console.WriteLine($"TorchScript archive {path}: {peerParameters.Count} parameters (all require grad: {peerParameters.All(p => p.parameter.requires_grad)}), {peerBuffers.Count} buffers");

        torch.manual_seed(1);
        using var ours = (S3DNetwork)S3DBackbone.Instance.CreateNetwork(S3DSpecs.For(S3DVariant.S3D, numClasses: 400));
        ours.train();
        bool shared = CopyWeights(peerParameters.Select(p => (p.name, (Tensor)p.parameter)).ToList(), ours.named_parameters().Select(p => (p.name, (Tensor)p.parameter)).ToList(), "parameters")
            && CopyWeights(peerBuffers, ours.named_buffers().ToList(), "buffers");
        Console.WriteLine($"weights shared: {shared}");
        if (args.Contains("--names"))
            foreach (var (a, b) in peerParameters.Select(p => p.name).Zip(ours.named_parameters().Select(p => p.name)).Take(12))
                Console.WriteLine($"  {a} -> {b}");

        using var input = randn([batch, 3, frames, size, size]);
        using var label = tensor(Enumerable.Repeat(3L, batch).ToArray());
        // Learning rate 0: the step does all its work (momentum buffers, the update) but the weights stay equal, so the
        // block comparison below checks that both compute the same gradients.
        using var ourOptimizer = optim.SGD(ours.parameters(), 0.0, momentum: 0.9);
        using var peerOptimizer = optim.SGD(peer.parameters(), 0.0, momentum: 0.9);

        // The archive trains: gradients reach every parameter.
        Step(peer.call, peerOptimizer, input, label);
        int withGrad = peer.parameters().Count(p => p.grad is not null && p.grad.abs().sum().item<float>() > 0);
        Console.WriteLine($"peer backward: {withGrad} of {peerParameters.Count} parameters got a non-zero gradient");
        Step(ours.call, ourOptimizer, input, label);

        var ourTimes = new List<double>();
        var peerTimes = new List<double>();
        for (int r = 0; r < repeats; r++)
        {
            if (r % 2 == 0)
            {
                ourTimes.Add(Step(ours.call, ourOptimizer, input, label));
                peerTimes.Add(Step(peer.call, peerOptimizer, input, label));
            }
            else
            {
                peerTimes.Add(Step(peer.call, peerOptimizer, input, label));
                ourTimes.Add(Step(ours.call, ourOptimizer, input, label));
            }
        }
        double ourMedian = Median(ourTimes), peerMedian = Median(peerTimes);
        if (args.Contains("--blocks"))
            Blocks(ours, peer, input, repeats);
        if (args.Contains("--conv1a"))
            Conv1a(ours, peer, input, repeats);
        if (args.Contains("--overhead"))
            Overhead(ours, input);
        Console.WriteLine(FormattableString.Invariant($"STEP ours {ourMedian:F4} [{string.Join(", ", ourTimes.Select(t => t.ToString("F4", CultureInfo.InvariantCulture)))}]"));
        Console.WriteLine(FormattableString.Invariant($"STEP peer {peerMedian:F4} [{string.Join(", ", peerTimes.Select(t => t.ToString("F4", CultureInfo.InvariantCulture)))}]"));
        Console.WriteLine(FormattableString.Invariant($"RATIO {ourMedian / peerMedian:F3}"));
        return 0;
    }

    /// <summary>Each block forward and backward (all-ones output gradient) on the input it gets inside the network, ours
    /// against the archive's same block (torchvision's <c>features.i</c> = our <c>base.i</c>), interleaved, medians.</summary>
    private static void Blocks(S3DNetwork ours, jit.ScriptModule<Tensor, Tensor> peer, Tensor input, int repeats)
    {
        var ourBlocks = ours.named_children().Single(c => c.name == "base").module.named_children().Select(c => (nn.Module<Tensor, Tensor>)c.module).ToList();
        var features = (jit.ScriptModule)peer.named_children().Single(c => c.name == "features").module;
        var peerBlocks = features.named_children().Select(c => (jit.ScriptModule)c.module).ToList();
        var x = input.alias();
        double[] totals = new double[4];
        for (int i = 0; i < ourBlocks.Count; i++)
        {
            Func<Tensor, Tensor> ourBlock = leaf => ourBlocks[i].call(leaf), peerBlock = leaf => (Tensor)peerBlocks[i].invoke("forward", leaf)!;
            var m = Interleaved(ourBlock, peerBlock, x, i > 0, repeats);
            // The same work: after one more forward and backward of each from zero gradients, the blocks' weight
            // gradients agree (same weights, same input, batch statistics).
            foreach (var p in ourBlocks[i].parameters()) p.grad?.zero_();
            foreach (var p in peerBlocks[i].parameters()) p.grad?.zero_();
            FwdBwd(ourBlock, x, i > 0);
            FwdBwd(peerBlock, x, i > 0);
            double outputs;
            using (no_grad())
            using (var oursOut = ourBlocks[i].call(x))
            using (var peerOut = (Tensor)peerBlocks[i].invoke("forward", x)!)
                outputs = ((oursOut - peerOut).abs().max() / (oursOut.abs().max() + 1e-12)).item<float>();
            double worst = 0;
            int missing = 0;
            foreach (var (a, b) in ourBlocks[i].parameters().Zip(peerBlocks[i].parameters()))
            {
                if (a.grad is null || b.grad is null) { missing++; continue; }
                worst = Math.Max(worst, ((a.grad - b.grad).abs().max() / (a.grad.abs().max() + 1e-12)).item<float>());
            }
            for (int k = 0; k < 4; k++) totals[k] += m[k];
            Console.WriteLine(FormattableString.Invariant($"GRADS {i}: outputs max relative |Δ| {outputs:E1}; weight gradients max relative |Δ| {worst:E1}, {missing} missing"));
            Console.WriteLine(FormattableString.Invariant($"BLOCK {i} fwd ours {m[0] * 1e3:F1} peer {m[1] * 1e3:F1} ms ({m[0] / m[1]:F2}x) bwd ours {m[2] * 1e3:F1} peer {m[3] * 1e3:F1} ms ({m[2] / m[3]:F2}x)"));
            x = Advance(ourBlock, x);
        }
        x.Dispose();
        Console.WriteLine(FormattableString.Invariant($"BLOCKS fwd ours {totals[0] * 1e3:F0} peer {totals[1] * 1e3:F0} ms ({totals[0] / totals[1]:F2}x) bwd ours {totals[2] * 1e3:F0} peer {totals[3] * 1e3:F0} ms ({totals[2] / totals[3]:F2}x)"));
    }

    /// <summary>The first block's parts one by one: our <c>base.0.{conv_s, bn_s+relu, conv_t, bn_t+relu}</c> against the
    /// archive's <c>features.0.{0.0, 0.1+0.2, 1.0, 1.1+1.2}</c> (torchvision's TemporalSeparableConv), each on the input it
    /// gets in the block, interleaved, medians of forward and backward.</summary>
    private static void Conv1a(S3DNetwork ours, jit.ScriptModule<Tensor, Tensor> peer, Tensor input, int repeats)
    {
        var block = ours.named_modules().ToDictionary(m => m.name, m => m.module);
        var peerModules = peer.named_modules().ToDictionary(m => m.name, m => m.module);
        Func<Tensor, Tensor> Ours(params string[] names) => x =>
        {
            foreach (var name in names) x = name == "relu" ? nn.functional.relu(x) : ((nn.Module<Tensor, Tensor>)block[name]).call(x);
            return x;
        };
        Func<Tensor, Tensor> Peer(params string[] names) => x =>
        {
            foreach (var name in names) x = (Tensor)((jit.ScriptModule)peerModules[name]).invoke("forward", x)!;
            return x;
        };
        var parts = new (string Name, Func<Tensor, Tensor> Ours, Func<Tensor, Tensor> Peer)[]
        {
            ("conv_s", Ours("base.0.conv_s"), Peer("features.0.0.0")),
            ("bn_s + relu", Ours("base.0.bn_s", "relu"), Peer("features.0.0.1", "features.0.0.2")),
            ("conv_t", Ours("base.0.conv_t"), Peer("features.0.1.0")),
            ("bn_t + relu", Ours("base.0.bn_t", "relu"), Peer("features.0.1.1", "features.0.1.2")),
        };
        var x = input.alias();
        for (int i = 0; i < parts.Length; i++)
        {
            var m = Interleaved(parts[i].Ours, parts[i].Peer, x, i > 0, repeats);
            Console.WriteLine(FormattableString.Invariant($"CONV1A {parts[i].Name} fwd ours {m[0] * 1e3:F1} peer {m[1] * 1e3:F1} ms bwd ours {m[2] * 1e3:F1} peer {m[3] * 1e3:F1} ms ({m[2] / m[3]:F2}x)"));
            x = Advance(parts[i].Ours, x);
        }
        x.Dispose();
    }

    /// <summary>Forward and backward of <paramref name="ours"/> and <paramref name="peer"/> on <paramref name="x"/>,
    /// <paramref name="repeats"/> times after one warm-up, alternating which runs first (so neither always finds the
    /// allocator as the other left it); medians of [ours forward, peer forward, ours backward, peer backward].</summary>
    private static double[] Interleaved(Func<Tensor, Tensor> ours, Func<Tensor, Tensor> peer, Tensor x, bool inputGrad, int repeats)
    {
        var times = new List<double>[4];
        for (int k = 0; k < 4; k++) times[k] = [];
        for (int r = 0; r <= repeats; r++)
        {
            bool oursFirst = r % 2 == 0;
            var a = oursFirst ? FwdBwd(ours, x, inputGrad) : default;
            var b = FwdBwd(peer, x, inputGrad);
            if (!oursFirst) a = FwdBwd(ours, x, inputGrad);
            if (r == 0) continue;
            times[0].Add(a.Forward); times[1].Add(b.Forward); times[2].Add(a.Backward); times[3].Add(b.Backward);
        }
        return [.. times.Select(Median)];
    }

    /// <summary>The next stage's input: <paramref name="stage"/> on <paramref name="x"/> without autograd (disposes
    /// <paramref name="x"/>).</summary>
    private static Tensor Advance(Func<Tensor, Tensor> stage, Tensor x)
    {
        Tensor next;
        using (no_grad())
            next = stage(x);
        x.Dispose();
        return next;
    }

    private static (double Forward, double Backward) FwdBwd(Func<Tensor, Tensor> block, Tensor x, bool inputGrad)
    {
        using var scope = NewDisposeScope();
        var leaf = x.detach().requires_grad_(inputGrad);
        var watch = Stopwatch.StartNew();
        var y = block(leaf);
        double f = watch.Elapsed.TotalSeconds;
        var grad = ones_like(y);
        watch.Restart();
        y.backward([grad]);
        return (f, watch.Elapsed.TotalSeconds);
    }

    /// <summary>The C# side's share: how many modules a forward calls, and what one TorchSharp call costs on a tiny tensor
    /// (handle creation, dispose scope, P/Invoke) — an upper bound of the per-op overhead times the op count.</summary>
    private static void Overhead(S3DNetwork ours, Tensor input)
    {
        int modules = ours.modules().Count();
        using var tiny = ones(1);
        const int calls = 20000;
        double perCall = 0;
        for (int round = 0; round < 2; round++)
        {
            var watch = Stopwatch.StartNew();
            for (int i = 0; i < calls; i++)
            {
                using var scope = NewDisposeScope();
                _ = tiny.relu();
            }
            perCall = watch.Elapsed.TotalSeconds / calls;
        }
        Console.WriteLine(FormattableString.Invariant($"OVERHEAD {modules} modules; one TorchSharp op on a 1-element tensor (in its own dispose scope) {perCall * 1e6:F1} µs; modules × 3 ops (forward, backward, optimizer) × that = {modules * 3 * perCall * 1e3:F1} ms per step"));
    }

    private static double Step(Func<Tensor, Tensor> network, optim.Optimizer optimizer, Tensor input, Tensor label)
    {
        using var scope = NewDisposeScope();
        var watch = Stopwatch.StartNew();
        optimizer.zero_grad();
        nn.functional.cross_entropy(network(input), label).backward();
        optimizer.step();
        return watch.Elapsed.TotalSeconds;
    }

    /// <summary>Copies the archive's tensors into ours by position when every shape matches (torchvision's S3D and
    /// kylemin's, which S3DNetwork follows, list the same layers in the same order).</summary>
    private static bool CopyWeights(IReadOnlyList<(string name, Tensor value)> from, IReadOnlyList<(string name, Tensor value)> to, string what)
    {
        if (from.Count != to.Count)
        {
            Console.WriteLine($"{what}: {from.Count} in the archive vs {to.Count} in S3DNetwork; not copied");
            return false;
        }
        for (int i = 0; i < from.Count; i++)
        {
            if (!from[i].value.shape.SequenceEqual(to[i].value.shape))
            {
                Console.WriteLine($"{what}: {from[i].name} [{string.Join(",", from[i].value.shape)}] vs {to[i].name} [{string.Join(",", to[i].value.shape)}]; not copied");
                return false;
            }
        }
        using (no_grad())
            for (int i = 0; i < from.Count; i++)
                to[i].value.copy_(from[i].value);
        return true;
    }

    private static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);

    private static int Value(string[] args, string name, int fallback)
    {
        int at = Array.IndexOf(args, name);
        return at >= 0 && at + 1 < args.Length ? int.Parse(args[at + 1], CultureInfo.InvariantCulture) : fallback;
    }
}
