using MLNetVideo.Weights;
using TorchSharp;

namespace MLNetVideo.Trainers.Common;

/// <summary>
/// Loads <see cref="VideoTrainerOptionsBase.InitialWeights"/> into a freshly built network: reads the file through the
/// restricted readers, tries every state dict it holds (the root, or a <c>state_dict</c>/<c>model</c>/… entry) under every
/// candidate key layout (the family's official layouts, then this library's own names with or without the DataParallel
/// <c>module.</c> prefix), keeps the one that matches the most tensors, and imports it strictly except for the head.
/// </summary>
internal static class InitialWeightsImport
{
    private static readonly CheckpointLayout[] s_ownLayouts =
    [
        new("MLNetVideo (this library's names)", null, KeyMapping.Identity, "\u0000"),
        new("MLNetVideo (this library's names, DataParallel module. prefix)", null, KeyMapping.StripPrefix("module."), "\u0000"),
    ];

    /// <summary>Imports the file into <paramref name="network"/> (changed only on success).</summary>
    /// <param name="network">The network built for this data (seeded; its head keeps that initialisation when not loaded).</param>
    /// <param name="path">The checkpoint.</param>
    /// <param name="family">The family's name, for messages.</param>
    /// <param name="layouts">The family's known layouts, most specific first.</param>
    /// <param name="isHead">Whether a network key belongs to the classification head.</param>
    /// <param name="numClasses">The data's class count.</param>
    /// <returns>The report.</returns>
    /// <exception cref="InvalidDataException">The file cannot be read, no layout matches, or it does not fit the network.</exception>
    public static InitialWeightsReport Load(torch.nn.Module network, string path, string family, IReadOnlyList<CheckpointLayout> layouts,
        Func<string, bool> isHead, int numClasses)
    {
        var (container, candidates) = ReadCandidates(path, layouts);
        var destination = network.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.shape, StringComparer.Ordinal);
        var headKeys = destination.Keys.Where(isHead).ToList();

        // Ranked by matched tensors, then by the layout's marker key being present; on a full tie the earlier wins, so a
        // file in this library's own names is reported as such even where another layout's rules happen not to change it.
        Match? best = null;
        foreach (var layout in s_ownLayouts.Concat(layouts))
        {
            foreach (var candidate in candidates)
            {
                if (layout.Entry is not null && candidate.Entry != layout.Entry)
                    continue;
                KeyMappingResult mapped;
                try
                {
                    mapped = layout.Mapping.Apply(candidate.Tensors);
                }
                catch (InvalidDataException)
                {
                    continue;   // this layout's rules do not apply to these tensors
                }
                int score = destination.Count(kv => mapped.Tensors.TryGetValue(kv.Key, out var t)
                    && (isHead(kv.Key) || t.Shape.SequenceEqual(kv.Value)));
                bool marked = layout.Matches(candidate.Tensors.Keys);
                if (best is null || score > best.Score || (score == best.Score && marked && !best.Marked))
                    best = new Match(layout, candidate, mapped, score, marked);
            }
        }
        if (best is null || best.Score == 0)
        {
            var sample = candidates.SelectMany(c => c.Tensors.Keys).Take(6).ToList();
            throw new InvalidDataException(
                $"InitialWeights: the checkpoint '{path}' ({container}) holds no weights of this {family} network: none of its keys " +
                $"({(sample.Count == 0 ? "none" : string.Join(", ", sample) + ", …")}) matches the network's ({string.Join(", ", destination.Keys.Take(4))}, …) " +
                $"under any known layout ({string.Join("; ", layouts.Concat(s_ownLayouts).Select(l => l.Name))}). Is it a checkpoint of another model family?");
        }

        // The head is re-initialised when the file's head has another shape (another class count) or is absent.
        var mappedTensors = best.Mapped.Tensors;
        bool headFits = headKeys.All(k => mappedTensors.TryGetValue(k, out var t) && t.Shape.SequenceEqual(destination[k]));
        long? checkpointClasses = headKeys.Select(k => mappedTensors.TryGetValue(k, out var t) && t.Shape.Count >= 1 ? t.Shape[0] : (long?)null)
            .FirstOrDefault(c => c is not null);
        // Checkpoints older than PyTorch 0.4 have no batch-norm counters; they only matter for momentum-free running averages.
        var missing = destination.Keys.Where(k => !mappedTensors.ContainsKey(k) && !(headKeys.Contains(k) && !headFits)).ToList();
        bool onlyCountersMissing = missing.All(k => k.EndsWith("num_batches_tracked", StringComparison.Ordinal));
        var options = new ImportOptions
        {
            AllowPartial = onlyCountersMissing && missing.Count > 0 && !mappedTensors.Keys.Any(k => !destination.ContainsKey(k)),
            ReinitializeHead = !headFits && headKeys.Count > 0,
            HeadKeys = headFits ? [] : headKeys,
        };
        ImportReport report;
        try
        {
            report = StateDictImporter.LoadInto(network, best.Candidate.Tensors, best.Layout.Mapping, options, path);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException(
                $"InitialWeights: the checkpoint is read as {best.Layout.Name} ({container}{(best.Candidate.Entry is null ? "" : $", entry '{best.Candidate.Entry}'")}) " +
                $"but does not fit the {family} network these options build; check that the options give the checkpoint's architecture " +
                $"(variant or depth, width 1.0, frames for AFNet, classifier width for MoViNet). {e.Message}", e);
        }

        var reshaped = report.Loaded
            .Where(k => best.Mapped.Origins.TryGetValue(k, out var origin) && best.Candidate.Tensors.TryGetValue(origin, out var source)
                && !source.Shape.SequenceEqual(mappedTensors[k].Shape))
            .ToList();
        return new InitialWeightsReport(path, container, best.Candidate.Entry, best.Layout.Name, report.Loaded, reshaped, report.Missing,
            report.Unexpected, options.ReinitializeHead ? headKeys : [], checkpointClasses, numClasses);
    }

    private static (string Container, List<Candidate> Candidates) ReadCandidates(string path, IReadOnlyList<CheckpointLayout> layouts)
    {
        try
        {
            if (!WeightsFile.IsPyTorch(path))
                return ("safetensors", [new Candidate(null, SafeTensorsReader.ReadAll(path))]);
            var checkpoint = PyTorchCheckpointReader.Read(path);
            string container = checkpoint.IsTorchScript ? "TorchScript archive" : IsZip(path) ? "PyTorch zip" : "legacy torch.save";
            var candidates = new List<Candidate>();
            foreach (var entry in layouts.Select(l => l.Entry).Where(e => e is not null).Distinct())
            {
                try
                {
                    candidates.Add(new Candidate(entry, checkpoint.GetStateDict(entry)));
                }
                catch (InvalidDataException)
                {
                    // no such entry in this file
                }
            }
            try
            {
                var found = checkpoint.GetStateDict();
                if (!candidates.Any(c => ReferenceEquals(c.Tensors, found) || c.Tensors.Count == found.Count && c.Tensors.Keys.SequenceEqual(found.Keys)))
                    candidates.Add(new Candidate(FoundEntry(checkpoint, found), found));
            }
            catch (InvalidDataException) when (candidates.Count > 0)
            {
                // the family's entry was found; the generic search has nothing more
            }
            return (container, candidates);
        }
        catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException or NotSupportedException)
        {
            throw new InvalidDataException(
                $"InitialWeights: the file '{path}' cannot be read as weights (safetensors, PyTorch zip, legacy torch.save or TorchScript archive): {e.Message}", e);
        }
    }

    // Which wrapping entry GetStateDict chose, for the report.
    private static string? FoundEntry(PyTorchCheckpoint checkpoint, IReadOnlyDictionary<string, TensorData> found)
    {
        if (checkpoint.Root is not CheckpointDictionary root)
            return null;
        foreach (var (key, value) in root)
            if (value is CheckpointDictionary nested && nested.Count == found.Count && key is string name)
                return name;
        return null;
    }

    private static bool IsZip(string path)
    {
        using var stream = File.OpenRead(path);
        Span<byte> magic = stackalloc byte[2];
        return stream.ReadAtLeast(magic, 2, throwOnEndOfStream: false) == 2 && magic[0] == (byte)'P' && magic[1] == (byte)'K';
    }

    private sealed record Candidate(string? Entry, IReadOnlyDictionary<string, TensorData> Tensors);

    private sealed record Match(CheckpointLayout Layout, Candidate Candidate, KeyMappingResult Mapped, int Score, bool Marked);
}
