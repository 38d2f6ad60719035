using System.Globalization;
using System.Reflection;
using System.Text.RegularExpressions;
using Microsoft.ML;
using MLNetVideo.Cli;
using MLNetVideo.Tests.TestSupport;
using MLNetVideo.Trainers;

namespace MLNetVideo.Tests.Docs;

/// <summary>
/// Issue 18, item 8: the option tables of docs/components/*.md cannot drift from the code. Every row of a table under an
/// "Options" heading names a property of that component's <c>Options</c> class, and every "Default X." it states equals the
/// value of a new <c>Options()</c> (read by reflection; for the shared trainer options, the family's own defaults). The CLI's
/// per-model defaults in docs/components/Cli.md are checked against <see cref="ModelRegistry"/> the same way.
/// </summary>
[TestClass]
public sealed class ComponentDocsTests
{
    private static string Docs()
    {
        var binary = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        // tests/MLNetVideo.Tests/bin/<Configuration>/net10.0/ → the repository root
        return Path.Combine(binary.Parent!.Parent!.Parent!.Parent!.Parent!.FullName, "docs", "components");
    }

    private static readonly Dictionary<string, Type> Components = new()
    {
        ["S3D.md"] = typeof(MLNetVideo.Trainers.S3D.S3DTrainer.Options),
        ["MoViNet.md"] = typeof(MLNetVideo.Trainers.MoViNet.MoViNetTrainer.Options),
        ["Tsm.md"] = typeof(MLNetVideo.Trainers.Tsm.TsmTrainer.Options),
        ["AFNet.md"] = typeof(MLNetVideo.Trainers.AFNet.AFNetTrainer.Options),
        ["Evl.md"] = typeof(MLNetVideo.Trainers.Evl.EvlTrainer.Options),
        ["LoadVideoFrames.md"] = typeof(MLNetVideo.Transforms.Decoding.VideoFrameLoadingEstimator.Options),
        ["FeaturizeVideoWithClip.md"] = typeof(MLNetVideo.Featurizers.Clip.ClipFeaturizingEstimator.Options),
        ["FeaturizeVideoWithOnnxClip.md"] = typeof(MLNetVideo.Featurizers.Onnx.OnnxClipFeaturizingEstimator.Options),
        ["AggregateTemporalClusters.md"] = typeof(MLNetVideo.Transforms.TemporalClustering.TemporalClusteringEstimator.Options),
    };

    private static readonly Regex Row = new(@"^\|\s*(?<names>`[A-Za-z][A-Za-z0-9]*`(?:,\s*`[A-Za-z][A-Za-z0-9]*`)*)\s*\|(?<rest>.*)$");
    private static readonly Regex Default = new(@"Default:?\s+(?<value>.+?)\.(?:\s|\s*\|\s*$|$)");

    /// <summary>(file, line, property, documented default or null) for every option row under an options heading.</summary>
    private static IEnumerable<(string File, int Line, Type Type, string Name, string? Default)> OptionRows()
    {
        foreach (var (file, type) in Components)
        {
            Type? section = null;
            var lines = File.ReadAllLines(Path.Combine(Docs(), file));
            for (int i = 0; i < lines.Length; i++)
            {
                string line = lines[i];
                if (line.StartsWith('#'))
                {
                    section = line.Contains("VideoFrameReader", StringComparison.Ordinal)
                        ? typeof(MLNetVideo.Transforms.Decoding.VideoFrameReader.Options)
                        : line.Contains("Options", StringComparison.Ordinal) || line.Contains("options", StringComparison.Ordinal) ? type : null;
                    continue;
                }
                if (section is null || Row.Match(line) is not { Success: true } row) continue;
                var cells = row.Groups["rest"].Value.Split('|');
                var meaning = cells.Length > 1 ? cells[^2] : cells[0];
                var d = Default.Match(meaning);
                var names = Regex.Matches(row.Groups["names"].Value, "`([A-Za-z0-9]+)`").Select(m => m.Groups[1].Value).ToArray();
                foreach (var name in names)   // a row naming several options states no single default
                    yield return (file, i + 1, section, name, d.Success && names.Length == 1 ? d.Groups["value"].Value.Trim() : null);
            }
        }
    }

    private static string Normalize(string text) => new(text.Where(char.IsLetterOrDigit).Select(char.ToLowerInvariant).ToArray());

    /// <summary>Null when <paramref name="documented"/> states <paramref name="actual"/>, else why not.</summary>
    internal static string? Compare(string documented, object? actual)
    {
        // The value is what comes before a comment: "`Cumulative`, the paper's method", "false: keep it off", "0.1 (torchvision)".
        string text = Regex.Split(documented, @":\s|,\s|\s\(")[0].Trim().Trim('`').Trim();
        switch (actual)
        {
            case null:
                return text is "null" or "none" ? null : $"documented {documented}, code has null";
            case bool b:
                return text == (b ? "true" : "false") ? null : $"documented {documented}, code has {b.ToString().ToLowerInvariant()}";
            case string s:
                return text.Trim('"') == s ? null : $"documented {documented}, code has \"{s}\"";
            case Enum e:
                return Normalize(text.Split('.').Last()) == Normalize(e.ToString()) ? null : $"documented {documented}, code has {e}";
            case TimeSpan t:
                return null;   // durations are written in words ("60 s", "10 minutes"); not compared
            case IConvertible c when actual.GetType().IsPrimitive:
                double value = c.ToDouble(CultureInfo.InvariantCulture);
                var parts = Regex.Match(text.Replace(",", ""), @"^(?<n>[-+]?[0-9.]+(?:[eE][-+]?[0-9]+)?)\s*(?<unit>KiB|MiB|GiB)?");
                if (!double.TryParse(parts.Groups["n"].Value, NumberStyles.Float, CultureInfo.InvariantCulture, out double stated))
                    return null;   // a default stated in words (for example "the MLContext's seed"): not compared
                stated *= parts.Groups["unit"].Value switch { "KiB" => 1024.0, "MiB" => 1024.0 * 1024, "GiB" => 1024.0 * 1024 * 1024, _ => 1 };
                return Math.Abs(stated - value) <= 1e-12 * Math.Max(1, Math.Abs(value)) ? null : $"documented {documented}, code has {value.ToString(CultureInfo.InvariantCulture)}";
            default:
                return null;
        }
    }

    [TestMethod]
    public void EveryOptionRow_NamesARealOption_AndStatesItsDefault()
    {
        var rows = OptionRows().ToList();
        Assert.IsTrue(rows.Count > 150, $"only {rows.Count} option rows found: the tables' format changed?");
        var problems = new List<string>();
        foreach (var (file, line, type, name, documented) in rows)
        {
            var property = type.GetProperty(name, BindingFlags.Public | BindingFlags.Instance);
            if (property is null)
            {
                problems.Add($"{file}:{line}: `{name}` is not a property of {type.FullName}");
                continue;
            }
            if (documented is null) continue;
            object? actual = property.GetValue(Activator.CreateInstance(type));
            if (Compare(documented, actual) is { } why)
                problems.Add($"{file}:{line}: {name}: {why}");
        }
        Assert.IsEmpty(problems, string.Join("\n", problems));
    }

    [TestMethod]
    public void EveryPublicOption_OfATrainer_IsDocumented()
    {
        var documented = OptionRows().GroupBy(r => r.Type).ToDictionary(g => g.Key, g => g.Select(r => r.Name).ToHashSet());
        var missing = new List<string>();
        var trainers = Components.Values.Where(t => t.IsSubclassOf(typeof(VideoTrainerOptionsBase))).ToArray();
        // A family's own options in its page; the shared ones in at least one trainer page's shared table.
        foreach (var type in trainers)
            foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly).Where(p => p.CanWrite))
                if (!documented[type].Contains(property.Name))
                    missing.Add($"{type.FullName}.{property.Name}");
        foreach (var property in typeof(VideoTrainerOptionsBase).GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite))
            if (!trainers.Any(t => documented[t].Contains(property.Name)))
                missing.Add($"{nameof(VideoTrainerOptionsBase)}.{property.Name}");
        Assert.IsEmpty(missing, "undocumented options:\n" + string.Join("\n", missing));
    }

    [TestMethod]
    public void CliModelTable_StatesTheRegistrysDefaults()
    {
        var table = File.ReadAllLines(Path.Combine(Docs(), "Cli.md"))
            .Select(l => Regex.Match(l, @"^\|\s*`(?<name>[a-z0-9-]+)`\s*\|(?<cells>.*)\|\s*$"))
            .Where(m => m.Success && ModelRegistry.Names.Contains(m.Groups["name"].Value))
            .ToDictionary(m => m.Groups["name"].Value, m => m.Groups["cells"].Value.Split('|').Select(c => c.Trim()).ToArray());
        CollectionAssert.AreEquivalent(ModelRegistry.Names.ToArray(), table.Keys.ToArray(), "one row per model");
        var mlContext = new MLContext(seed: 1);
        foreach (var entry in ModelRegistry.All)
        {
            var trainer = entry.CreateTrainer(mlContext, new ModelSettings());
            var options = (VideoTrainerOptionsBase)trainer.GetType().GetProperty("TrainerOptions", BindingFlags.NonPublic | BindingFlags.Instance)!.GetValue(trainer)!;
            var cells = table[entry.Name];
            // | network | default width | normalisation | learning rate | batch | epochs |
            Assert.IsNull(Compare(cells[3], options.LearningRate), $"{entry.Name} learning rate: {Compare(cells[3], options.LearningRate)}");
            Assert.IsNull(Compare(cells[4], options.BatchSize), $"{entry.Name} batch size: {Compare(cells[4], options.BatchSize)}");
            Assert.IsNull(Compare(cells[5], entry.DefaultEpochs), $"{entry.Name} epochs: {Compare(cells[5], entry.DefaultEpochs)}");
            Assert.AreEqual(entry.DefaultEpochs, options.Epochs, entry.Name);
        }
    }

    /// <summary>Issue 16: the networks and per-family machinery are internal, so the user docs (README.md, docs/nuget,
    /// docs/components) must not show them as something to call. A paragraph may still name an internal type once it has
    /// said so ("the internal `AFNetNetwork`").</summary>
    [TestMethod]
    public void UserDocs_ShowNoInternalTypeAsApi()
    {
        static string Bare(Type t) => t.Name.Split('`')[0];
        var types = PackagedLibraries.Load().SelectMany(a => a.GetTypes())
            .Where(t => !t.IsNested && t.Namespace?.StartsWith("MLNetVideo", StringComparison.Ordinal) == true && !t.Name.Contains('<')).ToList();
        var publicNames = types.Where(t => t.IsPublic).Select(Bare).ToHashSet();
        // Names users also meet as public API elsewhere: our public enums' values (VideoOptimizer.AdamW) and TorchSharp's
        // public types (its SGD and AdamW, which the training loop's held-Scalar optimizers are named after).
        publicNames.UnionWith(types.Where(t => t.IsPublic && t.IsEnum).SelectMany(Enum.GetNames));
        publicNames.UnionWith(typeof(TorchSharp.torch).Assembly.GetExportedTypes().Select(Bare));
        // Names the official code uses too, quoted as such (MoViNet.md cites TF Model Garden's ConvBlock and Keras' Activation).
        string[] upstream = ["ConvBlock", "Activation"];
        var internalNames = types.Where(t => !t.IsPublic).Select(Bare).Where(n => !publicNames.Contains(n) && !upstream.Contains(n)).ToHashSet();
        Assert.IsTrue(internalNames.Contains("S3DNetwork") && internalNames.Contains("ClipVisionNetwork"), "the internal networks were found");

        string root = ChildProcess.RepositoryRoot;
        var files = Directory.GetFiles(Docs(), "*.md").Append(Path.Combine(root, "README.md")).Append(Path.Combine(root, "docs", "nuget", "README.md"));
        // A type name in code (a span or a fenced block), not a file path (`src/.../OnnxGraph.cs`).
        var name = new Regex(@"(?<![/\w])[A-Z][A-Za-z0-9]+(?![\w]|\.cs\b)");
        var problems = new List<string>();
        foreach (var file in files)
        {
            bool fenced = false;
            var acknowledged = new HashSet<string>(StringComparer.Ordinal);
            var lines = File.ReadAllLines(file);
            for (int i = 0; i < lines.Length; i++)
            {
                if (lines[i].TrimStart().StartsWith("```", StringComparison.Ordinal))
                {
                    fenced = !fenced;
                    continue;
                }
                if (lines[i].Trim().Length == 0) acknowledged.Clear();
                var code = fenced ? [lines[i]] : Regex.Matches(lines[i], "`([^`]+)`").Select(m => m.Groups[1].Value);
                var hits = code.SelectMany(c => name.Matches(c)).Select(m => m.Value).Where(internalNames.Contains).Distinct().ToList();
                // A line that says "internal" acknowledges the internal types it names, for the rest of its paragraph.
                if (lines[i].Contains("internal", StringComparison.OrdinalIgnoreCase)) acknowledged.UnionWith(hits);
                foreach (var hit in hits.Where(h => !acknowledged.Contains(h)))
                    problems.Add($"{Path.GetRelativePath(root, file)}:{i + 1}: `{hit}` is internal");
            }
        }
        Assert.IsEmpty(problems, "user docs show internal types as API (name what users hold, or say the type is internal):\n" + string.Join("\n", problems));
    }
}
