using TorchSharp;

namespace MLNetVideo.Devices;

/// <summary>A device option parsed once: "auto", "cpu", "cuda" or "cuda:N" (N ≥ 0).</summary>
/// <param name="Kind">Auto, CPU or CUDA.</param>
/// <param name="Index">The CUDA index of "cuda:N"; null for "cuda" (the current one) and the other kinds.</param>
public readonly record struct DeviceChoice(DeviceChoiceKind Kind, int? Index)
{
    /// <summary>Parses a device option; null or empty means "auto".</summary>
    /// <param name="text">The option value.</param>
    /// <param name="optionName">The option's name, for the message.</param>
    /// <returns>The parsed choice.</returns>
    /// <exception cref="ArgumentException">The text is none of the accepted forms (including "cuda:-1").</exception>
    public static DeviceChoice Parse(string? text, string optionName = "Device")
    {
        var value = (text ?? DeviceResolver.Auto).Trim().ToLowerInvariant();
        if (value.Length == 0 || value == DeviceResolver.Auto) return new(DeviceChoiceKind.Auto, null);
        if (value == "cpu") return new(DeviceChoiceKind.Cpu, null);
        if (value == "cuda") return new(DeviceChoiceKind.Cuda, null);
        if (value.StartsWith("cuda:", StringComparison.Ordinal) && value.Length > 5 && value.AsSpan(5).IndexOfAnyExcept("0123456789") < 0
            && int.TryParse(value.AsSpan(5), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int index))
            return new(DeviceChoiceKind.Cuda, index);
        throw new ArgumentException($"{optionName} must be \"auto\", \"cpu\", \"cuda\" or \"cuda:N\" (N ≥ 0); got \"{text}\".", optionName);
    }

    /// <summary>The option text ("auto", "cpu", "cuda", "cuda:N").</summary>
    /// <returns>The text.</returns>
    public override string ToString() => Kind switch
    {
        DeviceChoiceKind.Cpu => "cpu",
        DeviceChoiceKind.Cuda => Index is { } i ? $"cuda:{i}" : "cuda",
        _ => DeviceResolver.Auto,
    };

    /// <summary>The TorchSharp device (touches CUDA only for Auto and CUDA choices).</summary>
    /// <returns>The device.</returns>
    /// <exception cref="InvalidOperationException">CUDA was asked for but this process cannot use it.</exception>
    public torch.Device Resolve()
    {
        // The first place MLNetVideo's code reaches for torch: the thread count goes in here (VideoRuntime).
        VideoRuntime.ApplyToTorch();
        switch (Kind)
        {
            case DeviceChoiceKind.Cpu:
                return torch.CPU;
            case DeviceChoiceKind.Auto:
                return torch.cuda.is_available() ? torch.CUDA : torch.CPU;
            default:
                if (!torch.cuda.is_available())
                    throw new InvalidOperationException(
                        $"Device \"{this}\" was requested but CUDA is not available in this process. Reference a TorchSharp CUDA " +
                        "package (TorchSharp-cuda-windows or TorchSharp-cuda-linux) instead of TorchSharp-cpu, or set Device = \"auto\" or \"cpu\".");
                return Index is { } index ? torch.device(DeviceType.CUDA, index) : torch.CUDA;
        }
    }
}
