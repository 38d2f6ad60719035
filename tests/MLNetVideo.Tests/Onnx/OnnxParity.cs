using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Tensor = TorchSharp.torch.Tensor;
using MLNetVideo.Trainers;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNetVideo.Tests.Onnx;

/// <summary>Helpers of the export parity tests: random batch-norm statistics (so every layer shapes the output), ONNX
/// Runtime on one thread, and the largest difference between two logit sets.</summary>
internal static class OnnxParity
{
    /// <summary>Parity bound of every family: |ONNX − TorchSharp| on the logits.</summary>
    public const double Tolerance = 1e-4;

    /// <summary>Gives every batch norm random affine parameters and running statistics, and every ReZero-style scalar
    /// (<c>alpha</c>) a non-zero value, so that an untrained tiny network's logits depend on every layer.</summary>
    public static void Randomise(nn.Module network, int seed)
    {
        using var noGrad = no_grad();
        var generator = new Generator((ulong)seed);
        foreach (var (name, t) in network.named_buffers())
        {
            if (name.EndsWith("running_mean", StringComparison.Ordinal)) t.copy_(randn(t.shape, generator: generator) * 0.1);
            else if (name.EndsWith("running_var", StringComparison.Ordinal)) t.copy_(rand(t.shape, generator: generator) + 0.5);
        }
        foreach (var (name, p) in network.named_parameters())
        {
            if (name.EndsWith("alpha", StringComparison.Ordinal)) p.fill_(0.7);
            else if (p.dim() == 1 && (name.Contains("bn", StringComparison.Ordinal) || name.Contains("norm", StringComparison.Ordinal)) && name.EndsWith("weight", StringComparison.Ordinal))
                p.copy_(rand(p.shape, generator: generator) + 0.5);
            else if (p.dim() == 1 && (name.Contains("bn", StringComparison.Ordinal) || name.Contains("norm", StringComparison.Ordinal)) && name.EndsWith("bias", StringComparison.Ordinal))
                p.copy_(randn(p.shape, generator: generator) * 0.1);
        }
        network.eval();
    }

    /// <summary>Runs a single-input model on one thread and returns its outputs by name.</summary>
    public static Dictionary<string, (float[] Values, long[] Shape)> Run(string onnxPath, IReadOnlyDictionary<string, Tensor> inputs)
    {
        using var options = new SessionOptions { IntraOpNumThreads = 1, InterOpNumThreads = 1 };
        using var session = new InferenceSession(onnxPath, options);
        var values = inputs.Select(kv =>
        {
            using var cpu = kv.Value.detach().cpu().contiguous();
            return NamedOnnxValue.CreateFromTensor(kv.Key, new DenseTensor<float>(cpu.data<float>().ToArray(), kv.Value.shape.Select(d => (int)d).ToArray()));
        }).ToList();
        using var results = session.Run(values);
        return results.ToDictionary(r => r.Name, r =>
        {
            var tensor = r.AsTensor<float>();
            return (tensor.ToArray(), tensor.Dimensions.ToArray().Select(d => (long)d).ToArray());
        });
    }

    /// <summary>The logits of an exported classifier for <paramref name="clips"/>.</summary>
    public static (float[] Values, long[] Shape) Logits(string onnxPath, Tensor clips)
        => Run(onnxPath, new Dictionary<string, Tensor> { [VideoOnnxExport.InputName] = clips })[VideoOnnxExport.OutputName];

    /// <summary>Asserts that ONNX Runtime's output equals TorchSharp's within <see cref="Tolerance"/> and that the output is
    /// not trivially constant (so the comparison means something).</summary>
    public static void AssertClose(Tensor expected, (float[] Values, long[] Shape) actual, string what)
    {
        CollectionAssert.AreEqual(expected.shape, actual.Shape, $"{what}: shape");
        var e = expected.detach().cpu().contiguous().data<float>().ToArray();
        double worst = 0;
        for (int i = 0; i < e.Length; i++)
            worst = Math.Max(worst, Math.Abs(e[i] - actual.Values[i]));
        Assert.IsTrue(worst <= Tolerance, $"{what}: max |ONNX − TorchSharp| = {worst:E2}");
        Assert.IsTrue(e.Max() - e.Min() > 1e-3, $"{what}: the logits are nearly constant ({e.Min()} … {e.Max()}), the comparison would mean little");
    }
}
