using MLNetVideo.Tests.TestSupport;

namespace MLNetVideo.Tests.Reliability;

/// <summary>
/// Issue 15, item 2 and the CI part of the zip-field mutation fuzz: every value of every JSON entry of every persisted
/// component (LoadVideoFrames, temporal clustering, the CLIP featurizers through TorchSharp and ONNX, S3D, MoViNet, TSM, AFNet
/// and EVL) is changed once in a saved zip whose manifest hash is rewritten to match. Loading then either refuses the zip with
/// a clear exception, or the model it gives writes nothing, runs nothing, reads its files only where the application said
/// and keeps no limit above the process's (<see cref="ModelZipMutationFuzz"/> checks each run). The benchmark runs every
/// change of every value (ReliabilityBenchmarks zipfuzz).
/// </summary>
[TestClass, DoNotParallelize, TestCategory(TestCategories.Soak)]
public sealed class ModelZipMutationTests
{
    private static ModelZipMutationFuzz _fuzz = null!;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    public TestContext TestContext { get; set; } = null!;

    [ClassInitialize]
    public static void Build(TestContext _) => _fuzz = ModelZipMutationFuzz.Create(
        Path.Combine(Path.GetTempPath(), "mlnv-zipfuzz-" + Guid.NewGuid().ToString("N")[..8]));

    [ClassCleanup]
    public static void Cleanup() => _fuzz?.Dispose();

    [TestMethod]
    public void UntouchedZips_LoadAndPredict_WithoutWritingOrRunningAnything()
    {
        Assert.HasCount(9, _fuzz.Subjects);
        foreach (var subject in _fuzz.Subjects)
        {
            var outcome = _fuzz.Run(new ZipMutation(subject, ModelZipTampering.EntriesEndingWith(subject.ZipPath, ".json")[0], "(none)", "untouched", _ => { }), Timeout);
            Assert.AreEqual(ZipMutationResult.Accepted, outcome.Result, $"{subject.Component}: {outcome.ExceptionType} {outcome.Message}");
            Assert.IsEmpty(outcome.Violations, $"{subject.Component}: {string.Join("; ", outcome.Violations)}");
        }
    }

    [TestMethod]
    [DataRow("LoadVideoFrames")]
    [DataRow("TemporalClustering")]
    [DataRow("ClipFeaturizer")]
    [DataRow("OnnxClipFeaturizer")]
    [DataRow("S3D")]
    [DataRow("MoViNet")]
    [DataRow("TSM")]
    [DataRow("AFNet")]
    [DataRow("EVL")]
    public void EveryValueChangedOnce_IsRefusedOrHarmless(string component)
    {
        var mutations = _fuzz.OnePerValue().Where(m => m.Subject.Component == component).ToList();
        var entries = ModelZipTampering.EntriesEndingWith(_fuzz.Subjects.Single(s => s.Component == component).ZipPath, ".json");
        CollectionAssert.AreEquivalent(entries, mutations.Select(m => m.Entry).Distinct().ToArray(), "every JSON entry must be mutated");
        var outcomes = mutations.Select(m => _fuzz.Run(m, Timeout)).ToList();
        var violations = outcomes.Where(o => o.Violations.Count > 0).Select(o => $"{o.Mutation}: {string.Join("; ", o.Violations)}").ToList();
        TestContext.WriteLine($"{component}: {outcomes.Count} mutated zips; refused at load {outcomes.Count(o => o.Result == ZipMutationResult.RefusedAtLoad)}, " +
            $"refused at first use {outcomes.Count(o => o.Result == ZipMutationResult.RefusedAtFirstUse)}, accepted {outcomes.Count(o => o.Result == ZipMutationResult.Accepted)}; " +
            $"slowest {outcomes.Max(o => o.Elapsed.TotalSeconds):0.00} s");
        foreach (var o in outcomes.Where(o => o.Result != ZipMutationResult.Accepted).Take(5))
            TestContext.WriteLine($"  {o.Mutation}: {o.ExceptionType}: {o.Message}");
        Assert.IsEmpty(violations, string.Join("\n", violations));
        Assert.IsTrue(outcomes.Any(o => o.Result == ZipMutationResult.RefusedAtLoad), "some change must be refused at load");
        if (component is "LoadVideoFrames" or "ClipFeaturizer" or "OnnxClipFeaturizer")
            Assert.IsTrue(mutations.Any(m => m.Kind == "executable-insert"), "FfmpegPath/FfprobePath must be tried");
    }

    [TestMethod]
    public void CiRun_MutatesAtLeastFiftyZips_AcrossAllComponents()
    {
        var mutations = _fuzz.OnePerValue();
        Assert.IsGreaterThanOrEqualTo(50, mutations.Count);
        CollectionAssert.AreEquivalent(_fuzz.Subjects.Select(s => s.Component).ToArray(), mutations.Select(m => m.Subject.Component).Distinct().ToArray());
        Assert.IsGreaterThan(mutations.Count, _fuzz.AllMutations().Count, "the benchmark runs every kind of change");
    }
}
