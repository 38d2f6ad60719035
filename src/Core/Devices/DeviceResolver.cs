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

/// <summary>What a <see cref="DeviceChoice"/> names.</summary>
public enum DeviceChoiceKind
{
    /// <summary>CUDA when this process can use it, else the CPU.</summary>
    Auto = 0,

    /// <summary>The CPU.</summary>
    Cpu = 1,

    /// <summary>A CUDA device.</summary>
    Cuda = 2,
}

/// <summary>
/// Turns the <c>Device</c> option of every torch-backed MLNetVideo component into a TorchSharp device.
/// One resolver for the whole library, so "auto", "cpu", "cuda" and "cuda:N" mean the same everywhere: the text is
/// parsed once (<see cref="DeviceChoice.Parse"/>), so checking and resolving accept exactly the same forms.
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
    public static torch.Device Resolve(string? spec) => DeviceChoice.Parse(spec, nameof(spec)).Resolve();

    /// <summary>Checks a device option without touching CUDA (for option validation at construction).</summary>
    /// <param name="spec">The option value.</param>
    /// <param name="optionName">The option's name, for the message.</param>
    public static void Validate(string? spec, string optionName) => DeviceChoice.Parse(spec, optionName);

    /// <summary>The text recorded for the device a model trained on ("cpu", "cuda:N").</summary>
    /// <param name="device">The device.</param>
    /// <returns>The text.</returns>
    public static string Describe(torch.Device device)
        => device.type == DeviceType.CPU ? "cpu" : device.type == DeviceType.CUDA ? $"cuda:{Math.Max(0, device.index)}" : device.type.ToString().ToLowerInvariant();

    /// <summary>The device a loaded model scores on: <paramref name="requested"/> when the loading application names one;
    /// otherwise the device it trained on when this process has it, else the CPU (a model trained on a GPU still loads on
    /// a machine without one; "auto", what older zips record for GPU runs, still means CUDA when available).</summary>
    /// <param name="requested">The loading application's choice (<c>VideoModelLoadOptions.Device</c>), or null.</param>
    /// <param name="trainedOn">The device recorded in the zip.</param>
    /// <returns>The device.</returns>
    public static torch.Device ForScoring(string? requested, string? trainedOn)
    {
        if (requested is not null)
            return DeviceChoice.Parse(requested, "VideoModelLoadOptions.Device").Resolve();
        DeviceChoice recorded;
        try
        {
            recorded = DeviceChoice.Parse(trainedOn, "Classifier.json Device");
        }
        catch (ArgumentException)
        {
            return torch.CPU;
        }
        if (recorded.Kind == DeviceChoiceKind.Cpu || !torch.cuda.is_available())
            return torch.CPU;
        if (recorded.Index is { } index && index >= torch.cuda.device_count())
            return torch.CUDA;
        return recorded.Resolve();
    }
}
