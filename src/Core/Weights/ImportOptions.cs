using TorchSharp;

namespace MLNetVideo.Weights;

/// <summary>How strictly <see cref="StateDictImporter"/> matches a checkpoint to a network. The default is exact: every
/// network key loaded, no checkpoint key left over, every shape equal.</summary>
public sealed record ImportOptions
{
    /// <summary>Exact loading (the default).</summary>
    public static ImportOptions Exact { get; } = new();

    /// <summary>Load what matches and leave the rest: missing and unexpected keys are reported instead of refused. Shape and
    /// type mismatches are still refused, and so is a checkpoint of which no key matches at all. Default <see langword="false"/>.</summary>
    public bool AllowPartial { get; init; }

    /// <summary>Do not load <see cref="HeadKeys"/> (for example a classifier trained for another class count): they keep the
    /// values the network was built with, or those <see cref="HeadInitializer"/> sets, and the report lists them as skipped on
    /// purpose. Default <see langword="false"/>.</summary>
    public bool ReinitializeHead { get; init; }

    /// <summary>The network's state-dict keys of the head, for example <c>["fc.0.weight", "fc.0.bias"]</c>. Required when
    /// <see cref="ReinitializeHead"/> is set; each must exist in the network.</summary>
    public IReadOnlyList<string> HeadKeys { get; init; } = [];

    /// <summary>Optional: called under <c>no_grad</c> for each head key with the network's live tensor, to re-initialise it.
    /// When <see langword="null"/>, head tensors keep the values the network was built with.</summary>
    public Action<string, torch.Tensor>? HeadInitializer { get; init; }

    /// <summary>Allow a floating-point checkpoint tensor to be cast to the network's floating-point type (for example CLIP's
    /// fp16 weights into an fp32 network). Integer and boolean types must always match. Default <see langword="true"/>.</summary>
    public bool AllowFloatConversion { get; init; } = true;
}
