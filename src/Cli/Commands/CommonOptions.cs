using System.CommandLine;

namespace MLNetVideo.Cli.Commands;

/// <summary>Options shared by several commands.</summary>
internal static class CommonOptions
{
    public static Option<string> Model(string description) => new("--model", "-m") { Description = description, Required = true };

    public static Option<string> Device() => new("--device")
    {
        Description = "\"auto\" (CUDA when usable, else CPU), \"cpu\", \"cuda\" or \"cuda:N\".",
        DefaultValueFactory = _ => "auto",
    };

    /// <summary>Checks <c>--device</c> before anything is decoded: a device this build cannot use stops the run at once.</summary>
    public static void CheckDevice(string device)
    {
        try
        {
            MLNetVideo.Devices.DeviceResolver.Resolve(device);
        }
        catch (ArgumentException e)
        {
            throw new CliException($"--device: \"{device}\" is not a device; use \"auto\", \"cpu\", \"cuda\" or \"cuda:N\".", e);
        }
        catch (InvalidOperationException e)
        {
            throw new CliException($"--device {device}: CUDA is not available to this mlnetvideo (it runs on a CPU-only libtorch, or no GPU is visible); use --device cpu or auto.", e);
        }
    }

    public static Option<string?> WeightsFolder() => new("--weights-folder")
    {
        Description = "Folder holding files the model refers to instead of embedding them (CLIP weights, an ONNX graph); default: the model's folder.",
    };

    /// <summary><c>--on-error skip|fail</c>: what <c>predict</c> and <c>evaluate</c> do with a video that cannot be decoded.</summary>
    public static Option<string> OnError()
    {
        var option = new Option<string>("--on-error")
        {
            Description = "A video that cannot be decoded: \"fail\" stops with its path and the reason; \"skip\" lists it with the reason and goes on with the rest.",
            DefaultValueFactory = _ => "fail",
        };
        option.AcceptOnlyFromAmong("fail", "skip");
        return option;
    }

    /// <summary>Prints the videos left out by <c>--on-error skip</c>, one line each with the reason.</summary>
    public static void ReportSkipped(CliOutput io, IReadOnlyList<(string Path, string Reason)> skipped, int total)
    {
        if (skipped.Count == 0) return;
        io.Error.WriteLine($"skipped {skipped.Count} of {total} videos that could not be decoded:");
        foreach (var (path, reason) in skipped)
            io.Error.WriteLine($"  {path}: {reason}");
    }

    public static Option<int> Seed() => new("--seed") { Description = "Seed for the split, weights and data order.", DefaultValueFactory = _ => 1 };
}
