using static TorchSharp.torch;

namespace MLNetVideo.Trainers.AFNet;

/// <summary>How <see cref="AFNetNetwork.Run(Tensor, AFNetRunOptions?)"/> runs.</summary>
internal sealed record AFNetRunOptions
{
    /// <summary>Masks imposed instead of the navigation modules' decisions: one [N, T] tensor of 0/1 per navigation module, in
    /// network order (<see cref="AFNetSpec.NavigationCount"/> of them); null = the navigation modules decide.</summary>
    public IReadOnlyList<Tensor>? ForcedMasks { get; init; }

    /// <summary>Count executed multiply-accumulates and computed focal frames (<see cref="AFNetOutput.Trace"/>).</summary>
    public bool Trace { get; init; }

    /// <summary>True: the focal branches gather the selected frames, compute only those and scatter back (real skipping);
    /// false: compute every frame and multiply by the mask (training). Null: skip in eval mode, mask in training mode.</summary>
    public bool? SkipFrames { get; init; }

    /// <summary>Charges the forward's wall time per part to this profile (the benchmark's breakdown); null = not profiled.</summary>
    internal AFNetProfile? Profile { get; init; }

    /// <summary>False: the focal blocks' inference sums as before issue 19's wall-time work (the benchmark's A/B): a copy of
    /// the input where there is no shortcut projection, and an index_add over the skipped rows. True (default): into the
    /// input itself where nothing else holds it, and a broadcast add over all rows plus an index_add over the selected ones.</summary>
    internal bool LeanFocalSums { get; init; } = true;
}
