using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNetVideo.Trainers.Common;

/// <summary>Helpers the families use to number their backbone stages for <see cref="VideoTrainerOptionsBase.FrozenStages"/>.</summary>
internal static class StageIndex
{
    /// <summary>The stage of a key <c>{prefix}{layer}.…</c>, by <paramref name="stageOfLayer"/>; -1 when the key has no such layer.</summary>
    public static int FromLayer(string key, string prefix, Func<int, int> stageOfLayer)
    {
        if (!key.StartsWith(prefix, StringComparison.Ordinal))
            return -1;
        int end = key.IndexOf('.', prefix.Length);
        return int.TryParse(end < 0 ? key.AsSpan(prefix.Length) : key.AsSpan(prefix.Length, end - prefix.Length), out int layer) ? stageOfLayer(layer) : -1;
    }

    /// <summary>torchvision ResNet names: stem (<c>conv1</c>, <c>bn1</c>) = 0, <c>layerK</c> = K.</summary>
    public static int ResNet(string key)
    {
        if (key.StartsWith("conv1.", StringComparison.Ordinal) || key.StartsWith("bn1.", StringComparison.Ordinal))
            return 0;
        return key.Length > 6 && key.StartsWith("layer", StringComparison.Ordinal) && char.IsAsciiDigit(key[5]) && key[6] == '.' ? key[5] - '0' : -1;
    }

    /// <summary>Every batch norm of the network except the first one in module order (TSN's partialBN).</summary>
    public static IReadOnlyCollection<string> AllButFirstBatchNorm(nn.Module network)
        => network.named_modules().Where(m => m.module is BatchNorm).Skip(1).Select(m => m.name).ToList();
}
