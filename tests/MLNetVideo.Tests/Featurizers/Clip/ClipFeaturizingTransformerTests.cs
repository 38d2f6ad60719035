using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetVideo.Featurizers.Clip;
using MLNetVideo.Tests.TestSupport;
using MLNetVideo.Tests.Trainers;
using MLNetVideo.Weights;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNetVideo.Tests.Featurizers.Clip;

/// <summary>FeaturizeVideoWithClip: output layout, frozen weights, zip round trips and the weights-file hash check.</summary>
[TestClass]
[DoNotParallelize]
public sealed class ClipFeaturizingTransformerTests
{
    private static ClipFeaturizingEstimator.Options TinyOptions(string? weights = null) => new()
    {
        InputColumnName = "Frames",
        InputLayout = ClipFrameLayout.Cthw,
        Variant = ClipVisionVariant.Tiny,
        LayersKept = 2,
        Device = "cpu",
        FramesPerBatch = 3,
        Seed = 4,
        WeightsPath = weights,
    };

    private static float[][] Read(IDataView view, string column = "ClipFeatures")
        => view.GetColumn<VBuffer<float>>(column).Select(v => v.DenseValues().ToArray()).ToArray();

    [TestMethod]
    public void Output_HasDocumentedLayout_AndMatchesTheTower()
    {
        var mlContext = new MLContext(seed: 1);
        var rows = SyntheticClips.Motion(2, seed: 1, frames: 4, size: 32);
        var data = SyntheticClips.Load(mlContext, rows, frames: 4, size: 32);
        using var model = mlContext.Transforms.FeaturizeVideoWithClip(TinyOptions()).Fit(data);
        var output = model.Transform(data);
        var type = (VectorDataViewType)output.Schema["ClipFeatures"].Type;
        CollectionAssert.AreEqual(new[] { 6, 4, 17, 64 }, type.Dimensions.ToArray());
        var values = Read(output);
        Assert.AreEqual(2, values.Length);

        // Slice 0..1 = the last two blocks' outputs, 2..3 = q, 4..5 = k, for frames in order.
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var clip = tensor(rows[1].Frames, [3, 4, 32, 32]).permute(1, 0, 2, 3);
        var mean = tensor(ClipPreprocessing.OpenAIMean.ToArray()).view(1, 3, 1, 1);
        var std = tensor(ClipPreprocessing.OpenAIStd.ToArray()).view(1, 3, 1, 1);
        var (f, q, k) = model.Network.ExtractFeatures((clip - mean) / std, 2, withQk: true);
        var expected = cat([f, q!, k!], 0).flatten();
        var actual = tensor(values[1]);
        Assert.IsTrue(actual.allclose(expected, rtol: 1e-4, atol: 1e-5), $"max diff {(actual - expected).abs().max().item<float>()}");
    }

    [TestMethod]
    public void LargerFrames_AreResizedAndCropped_WithoutAttention()
    {
        var mlContext = new MLContext(seed: 1);
        var data = SyntheticClips.Load(mlContext, SyntheticClips.Motion(1, seed: 2, frames: 2, size: 40), frames: 2, size: 40);
        var options = TinyOptions();
        options.IncludeAttention = false;
        using var model = mlContext.Transforms.FeaturizeVideoWithClip(options).Fit(data);
        var output = model.Transform(data);
        CollectionAssert.AreEqual(new[] { 2, 2, 17, 64 }, ((VectorDataViewType)output.Schema["ClipFeatures"].Type).Dimensions.ToArray());
        Assert.IsTrue(Read(output)[0].All(float.IsFinite));
    }

    [TestMethod]
    public void WrongInputColumn_FailsWithSchemaError()
    {
        var mlContext = new MLContext(seed: 1);
        var data = SyntheticClips.Load(mlContext, SyntheticClips.Motion(1, seed: 2, frames: 2, size: 32), frames: 2, size: 32);
        var options = TinyOptions();
        options.InputLayout = ClipFrameLayout.Tchw;   // [3, 2, 32, 32] read as T=3, C=2
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => mlContext.Transforms.FeaturizeVideoWithClip(options).Fit(data));
        StringAssert.Contains(e.Message, "Frames");
        options.LayersKept = 9;
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => mlContext.Transforms.FeaturizeVideoWithClip(options));
    }

    [TestMethod]
    public void RandomInit_ZipRoundTrip_RebuildsIdenticalTower()
    {
        using var folder = new TempFolder();
        var mlContext = new MLContext(seed: 1);
        var data = SyntheticClips.Load(mlContext, SyntheticClips.Motion(2, seed: 3, frames: 2, size: 32), frames: 2, size: 32);
        using var model = mlContext.Transforms.FeaturizeVideoWithClip(TinyOptions()).Fit(data);
        var before = Read(model.Transform(data));
        string zip = folder.File("clip.zip");
        mlContext.Model.Save(model, data.Schema, zip);
        torch.manual_seed(999);
        var loaded = (ClipFeaturizingTransformer)new MLContext(seed: 2).Model.Load(zip, out _);
        using (loaded)
        {
            CollectionAssert.AreEqual(model.StateDictBytes(), loaded.StateDictBytes());
            var after = Read(loaded.Transform(data));
            for (int i = 0; i < before.Length; i++)
                CollectionAssert.AreEqual(before[i], after[i]);
        }
    }

    [TestMethod]
    public void WeightsFile_RecordedByHash_DifferentFileIsRefused_EmbeddedNeedsNoFile()
    {
        using var folder = new TempFolder();
        string weights = folder.File("tiny.safetensors");
        torch.manual_seed(21);
        using (var source = new ClipVisionNetwork(ClipVisionSpecs.Tiny))
            SafeTensorsWriter.Write(weights, source.state_dict().ToDictionary(kv => "visual." + kv.Key, kv => kv.Value));
        var mlContext = new MLContext(seed: 1);
        var data = SyntheticClips.Load(mlContext, SyntheticClips.Motion(1, seed: 3, frames: 2, size: 32), frames: 2, size: 32);
        using var model = mlContext.Transforms.FeaturizeVideoWithClip(TinyOptions(weights)).Fit(data);
        Assert.AreEqual(ClipFeaturizingTransformer.Sha256(weights), model.WeightsSha256);
        var before = Read(model.Transform(data))[0];

        string byPath = folder.File("by-path.zip");
        mlContext.Model.Save(model, data.Schema, byPath);
        var embeddedOptions = TinyOptions(weights);
        embeddedOptions.EmbedWeights = true;
        using var embeddedModel = mlContext.Transforms.FeaturizeVideoWithClip(embeddedOptions).Fit(data);
        string embedded = folder.File("embedded.zip");
        mlContext.Model.Save(embeddedModel, data.Schema, embedded);
        Assert.IsTrue(ZipEditing.EntryNames(embedded).Any(e => e.EndsWith("Clip.bin", StringComparison.Ordinal)));
        Assert.IsFalse(ZipEditing.EntryNames(byPath).Any(e => e.EndsWith("Clip.bin", StringComparison.Ordinal)));

        // The weights file is found by name where the loading application says (issue 15), never at the zip's path.
        var load = new VideoModelLoadOptions { WeightsFolder = folder.Path };
        using (var same = (ClipFeaturizingTransformer)mlContext.Model.Load(byPath, load, out _))
            CollectionAssert.AreEqual(before, Read(same.Transform(data))[0]);
        var unnamed = Assert.ThrowsExactly<FileNotFoundException>(() => mlContext.Model.Load(byPath, new VideoModelLoadOptions(), out _));
        StringAssert.Contains(unnamed.Message, "VideoModelLoadOptions.WeightsFolder");

        torch.manual_seed(22);
        using (var other = new ClipVisionNetwork(ClipVisionSpecs.Tiny))
            SafeTensorsWriter.Write(weights, other.state_dict().ToDictionary(kv => "visual." + kv.Key, kv => kv.Value));
        // The loading API reports the real exception (plain Model.Load would wrap it in a TargetInvocationException).
        var e = Assert.ThrowsExactly<InvalidDataException>(() => mlContext.Model.Load(byPath, load, out _));
        StringAssert.Contains(e.Message, "SHA-256");
        StringAssert.Contains(e.Message, weights);

        File.Delete(weights);
        Assert.ThrowsExactly<FileNotFoundException>(() => mlContext.Model.Load(byPath, load, out _));
        using var fromZip = (ClipFeaturizingTransformer)mlContext.Model.Load(embedded, out _);
        CollectionAssert.AreEqual(before, Read(fromZip.Transform(data))[0]);
    }
}
