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

    public static Option<string?> WeightsFolder() => new("--weights-folder")
    {
        Description = "Folder holding files the model refers to instead of embedding them (CLIP weights, an ONNX graph); default: the model's folder.",
    };

    public static Option<int> Seed() => new("--seed") { Description = "Seed for the split, weights and data order.", DefaultValueFactory = _ => 1 };
}
