using TorchSharp;

namespace MLNetVideo.Devices;

/// <summary>
/// Turns the <c>Device</c> option of every torch-backed MLNetVideo component into a TorchSharp device.
/// One resolver for the whole library, so "auto", "cpu", "cuda" and "cuda:N" mean the same everywhere.
/// </summary>
public static class DeviceResolver
{
    /// <summary>The default device option: CUDA when this process can use it, else the CPU.</summary>
    public const string Auto = "auto";

    /// <summary>Resolves a device option.</summary>
    /// <param name="spec">"auto" (CUDA when available, else CPU), "cpu", "cuda" or "cuda:N".</param>
    /// <returns>The TorchSharp device to build and run networks on.</returns>
    /// <exception cref="ArgumentException">The text is none of the accepted forms.</exception>
    /// <exception cref="InvalidOperationException">CUDA was asked for but this process cannot use it.</exception>
    public static torch.Device Resolve(string? spec)
    {
        // The first place MLNetVideo's code reaches for torch: the thread count goes in here (VideoRuntime).
        VideoRuntime.ApplyToTorch();
        var text = (spec ?? Auto).Trim().ToLowerInvariant();
        if (text.Length == 0 || text == Auto)
            return torch.cuda.is_available() ? torch.CUDA : torch.CPU;
        if (text == "cpu")
            return torch.CPU;
        if (text == "cuda" || text.StartsWith("cuda:", StringComparison.Ordinal))
        {
            if (text.Length > 5 && !int.TryParse(text.AsSpan(5), out _))
                throw new ArgumentException($"Unknown device \"{spec}\". Use \"auto\", \"cpu\", \"cuda\" or \"cuda:N\".", nameof(spec));
            if (!torch.cuda.is_available())
                throw new InvalidOperationException(
                    $"Device \"{spec}\" was requested but CUDA is not available in this process. Reference a TorchSharp CUDA " +
                    "package (TorchSharp-cuda-windows or TorchSharp-cuda-linux) instead of TorchSharp-cpu, or set Device = \"auto\" or \"cpu\".");
            return torch.device(text);
        }
        throw new ArgumentException($"Unknown device \"{spec}\". Use \"auto\", \"cpu\", \"cuda\" or \"cuda:N\".", nameof(spec));
    }

    /// <summary>Checks a device option without touching CUDA (for option validation at construction).</summary>
    /// <param name="spec">The option value.</param>
    /// <param name="optionName">The option's name, for the message.</param>
    public static void Validate(string? spec, string optionName)
    {
        var text = (spec ?? Auto).Trim().ToLowerInvariant();
        bool ok = text.Length == 0 || text == Auto || text == "cpu" || text == "cuda"
            || (text.StartsWith("cuda:", StringComparison.Ordinal) && int.TryParse(text.AsSpan(5), out var n) && n >= 0);
        if (!ok)
            throw new ArgumentException($"{optionName} must be \"auto\", \"cpu\", \"cuda\" or \"cuda:N\"; got \"{spec}\".", optionName);
    }
}
