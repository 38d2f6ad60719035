using TorchSharp;

namespace MLNetVideo.Devices;

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
