using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNetVideo.Trainers.Common;

/// <summary>
/// The parts of a network that fine-tuning leaves alone (<see cref="VideoTrainerOptionsBase.FreezeBackbone"/>,
/// <see cref="VideoTrainerOptionsBase.FrozenStages"/>, TSM's partial batch norm): their parameters stop requiring
/// gradients (so the optimizer never sees them), and their batch norms are put back in eval mode after every
/// <c>train()</c>, so the statistics stay those of the checkpoint, as mmaction2's frozen stages and TSN's partialBN do.
/// </summary>
internal sealed class FrozenParts
{
    private readonly List<nn.Module> _norms;

    private FrozenParts(IReadOnlyList<string> parameters, List<nn.Module> norms, IReadOnlyList<string> normNames)
    {
        Parameters = parameters;
        _norms = norms;
        NormNames = normNames;
    }

    /// <summary>Names of the frozen parameters.</summary>
    public IReadOnlyList<string> Parameters { get; }

    /// <summary>Names of the batch norms kept in eval mode.</summary>
    public IReadOnlyList<string> NormNames { get; }

    /// <summary>Freezes what the options ask for.</summary>
    /// <param name="network">The network (after its initial weights are loaded).</param>
    /// <param name="options">The trainer's options.</param>
    /// <param name="family">The family's name, for messages.</param>
    /// <param name="isHead">Whether a key belongs to the classification head (never frozen by <see cref="VideoTrainerOptionsBase.FreezeBackbone"/>).</param>
    /// <param name="stageOf">The backbone stage (0 = stem) of a key, or -1.</param>
    /// <param name="stageCount">How many stages the family's backbone has.</param>
    /// <param name="frozenNorms">Names of batch-norm modules the family freezes (affine parameters and statistics).</param>
    /// <returns>The frozen parts.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><see cref="VideoTrainerOptionsBase.FrozenStages"/> exceeds the stage count.</exception>
    public static FrozenParts Apply(nn.Module network, VideoTrainerOptionsBase options, string family, Func<string, bool> isHead,
        Func<string, int> stageOf, int stageCount, IReadOnlyCollection<string> frozenNorms)
    {
        if (options.FrozenStages > stageCount)
            throw new ArgumentOutOfRangeException(nameof(options.FrozenStages), options.FrozenStages,
                $"FrozenStages must be at most {stageCount}, the number of backbone stages of {family} (the stem counts as the first); got {options.FrozenStages}.");
        var normWeights = new HashSet<string>(frozenNorms.SelectMany(n => new[] { n + ".weight", n + ".bias" }), StringComparer.Ordinal);
        bool Frozen(string name) => (options.FreezeBackbone && !isHead(name))
            || (stageOf(name) is int stage && stage >= 0 && stage < options.FrozenStages)
            || normWeights.Contains(name);

        var frozen = new List<string>();
        var frozenSet = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, parameter) in network.named_parameters())
        {
            if (!Frozen(name)) continue;
            parameter.requires_grad = false;
            frozen.Add(name);
            frozenSet.Add(name);
        }
        var norms = new List<nn.Module>();
        var normNames = new List<string>();
        foreach (var (name, module) in network.named_modules())
        {
            if (module is not BatchNorm)
                continue;
            var own = module.named_parameters(recurse: false).Select(p => name + "." + p.name).ToList();
            if (frozenNorms.Contains(name) || (own.Count > 0 && own.All(frozenSet.Contains)))
            {
                norms.Add(module);
                normNames.Add(name);
            }
        }
        return new FrozenParts(frozen, norms, normNames);
    }

    /// <summary>Puts the frozen batch norms back in eval mode (call after every <c>network.train()</c>).</summary>
    public void KeepNormsInEvalMode()
    {
        foreach (var norm in _norms)
            norm.eval();
    }

    /// <summary>For the log: how many parameters and batch norms are frozen.</summary>
    /// <returns>A short sentence.</returns>
    public override string ToString() => $"{Parameters.Count} parameter tensors frozen, {NormNames.Count} batch norms keep their statistics";
}
