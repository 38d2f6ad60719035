using System.Diagnostics;
using MLNetVideo.Featurizers.Clip;
using MLNetVideo.Trainers.Evl;
using TorchSharp;
using static TorchSharp.torch;

// EVL vs end-to-end fine-tuning, one training step each, on the CPU (random weights: timings do not depend on values).
// Arguments: [variant=VitB32] [batch=2] [frames=4] [layers=4] [steps=3]
var variant = args.Length > 0 ? Enum.Parse<ClipVisionVariant>(args[0]) : ClipVisionVariant.VitB32;
int batch = args.Length > 1 ? int.Parse(args[1]) : 2;
int frames = args.Length > 2 ? int.Parse(args[2]) : 4;
int layers = args.Length > 3 ? int.Parse(args[3]) : 4;
int steps = args.Length > 4 ? int.Parse(args[4]) : 3;
torch.manual_seed(1);
var spec = ClipVisionSpecs.Get(variant);
Console.WriteLine($"CLIP {variant}, batch {batch} clips × {frames} frames, M = {layers}, {steps} timed steps after 1 warm-up, threads {torch.get_num_threads()}");

using var clip = new ClipVisionNetwork(spec);
var evlSpec = new EvlSpec
{
    Layers = layers, Frames = frames, Tokens = spec.Tokens, Width = spec.Width, BackboneHeads = spec.Heads,
    DecoderHeads = Math.Max(1, spec.Width / 64), NumClasses = 400,
};
var images = randn(batch * frames, 3, spec.ImageSize, spec.ImageSize);
var labels = randint(0, 400, [batch]);

Tensor Features(bool grad)
{
    var (f, q, k) = clip.ExtractFeatures(images, layers, withQk: true);
    var all = cat([f, q!, k!], 0);                                                   // [3M, B·T, L, W]
    return all.view(3 * layers, batch, frames, spec.Tokens, spec.Width).permute(1, 0, 2, 3, 4).contiguous();
}

Tensor cached;
using (no_grad()) cached = Features(grad: false);

(double Seconds, double PeakMiB) Measure(string name, Func<Action> setup)
{
    var step = setup();
    step();                                                                          // warm-up
    GC.Collect();
    ResetPeak();
    long baseline = CurrentRssKiB();
    var watch = Stopwatch.StartNew();
    for (int i = 0; i < steps; i++) step();
    double seconds = watch.Elapsed.TotalSeconds / steps;
    double peak = (PeakRssKiB() - baseline) / 1024.0;
    Console.WriteLine($"{name,-34} {seconds,8:F3} s/step   peak RSS above start {peak,8:F0} MiB");
    return (seconds, peak);
}

Action EvlStep(bool fromCache)
{
    var evl = new EvlNetwork(evlSpec);
    evl.train();
    clip.eval();
    foreach (var p in clip.parameters()) p.requires_grad = false;
    var optimizer = optim.AdamW(evl.parameters(), 4e-4, weight_decay: 0.05);
    return () =>
    {
        using var scope = NewDisposeScope();
        Tensor x;
        if (fromCache) x = cached;
        else using (no_grad()) x = Features(grad: false);
        optimizer.zero_grad();
        var loss = nn.functional.cross_entropy(evl.call(x), labels);
        loss.backward();
        optimizer.step();
    };
}

Action EndToEndStep()
{
    var evl = new EvlNetwork(evlSpec);
    evl.train();
    clip.train();
    foreach (var p in clip.parameters()) p.requires_grad = true;
    var optimizer = optim.AdamW(evl.parameters().Concat(clip.parameters()), 4e-4, weight_decay: 0.05);
    return () =>
    {
        using var scope = NewDisposeScope();
        optimizer.zero_grad();
        var loss = nn.functional.cross_entropy(evl.call(Features(grad: true)), labels);
        loss.backward();
        optimizer.step();
    };
}

var cachedResult = Measure("EVL step, features cached", () => EvlStep(true));
var uncachedResult = Measure("EVL step, frozen CLIP forward", () => EvlStep(false));
var fullResult = Measure("end-to-end fine-tuning step", EndToEndStep);
Console.WriteLine($"time ratio end-to-end / EVL: cached {fullResult.Seconds / cachedResult.Seconds:F1}×, uncached {fullResult.Seconds / uncachedResult.Seconds:F1}×");
Console.WriteLine($"peak-memory ratio end-to-end / EVL: cached {fullResult.PeakMiB / Math.Max(1, cachedResult.PeakMiB):F1}×, uncached {fullResult.PeakMiB / Math.Max(1, uncachedResult.PeakMiB):F1}×");

// CLIP ViT-B/16 inference throughput on the CPU via TorchSharp (random weights).
using (var b16 = new ClipVisionNetwork(ClipVisionSpecs.VitB16))
{
    b16.eval();
    int n = 8;
    using var frames16 = randn(n, 3, 224, 224);
    using (no_grad())
    {
        b16.ExtractFeatures(frames16, 4, withQk: true).Features.Dispose();
        var watch = Stopwatch.StartNew();
        const int runs = 2;
        for (int i = 0; i < runs; i++)
        {
            using var scope = NewDisposeScope();
            b16.ExtractFeatures(frames16, 4, withQk: true);
        }
        Console.WriteLine($"CLIP ViT-B/16 TorchSharp CPU: {runs * n / watch.Elapsed.TotalSeconds:F1} frames/s (batch {n}, last 4 blocks + q/k)");
    }
}

static void ResetPeak()
{
    try { File.WriteAllText("/proc/self/clear_refs", "5"); } catch (IOException) { } catch (UnauthorizedAccessException) { }
}

static long PeakRssKiB() => StatusField("VmHWM:");

static long CurrentRssKiB() => StatusField("VmRSS:");

static long StatusField(string name)
{
    foreach (var line in File.ReadLines("/proc/self/status"))
        if (line.StartsWith(name, StringComparison.Ordinal))
            return long.Parse(line[name.Length..].Trim().Split(' ')[0]);
    return 0;
}
