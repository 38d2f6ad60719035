using System.CommandLine;
using System.Diagnostics;
using MLNetVideo.Transforms.SampleData;

namespace MLNetVideo.Cli.Commands;

/// <summary><c>mlnetvideo sample-data</c>: writes the built-in synthetic action set (folder per class).</summary>
internal static class SampleDataCommand
{
    public static Command Create(CliOutput io)
    {
        var output = new Option<string>("--output", "-o") { Description = "Folder to write (one sub-folder per class).", DefaultValueFactory = _ => "out/sample-data" };
        var perClass = new Option<int>("--videos-per-class") { Description = "Videos per class.", DefaultValueFactory = _ => 16 };
        var classes = new Option<string>("--classes")
        {
            Description = $"Comma-separated actions ({string.Join(", ", Enum.GetNames<SyntheticAction>().Select(n => n.ToLowerInvariant()))}).",
            DefaultValueFactory = _ => "left,right,up,down",
        };
        var frames = new Option<int>("--frames") { Description = "Frames per video.", DefaultValueFactory = _ => 16 };
        var size = new Option<int>("--size") { Description = "Frame width and height in pixels (even).", DefaultValueFactory = _ => 48 };
        var seed = new Option<int>("--seed") { Description = "Seed of the generator.", DefaultValueFactory = _ => 7 };
        var force = new Option<bool>("--force") { Description = "Regenerate even if the folder already holds videos." };
        var command = new Command("sample-data", "Generate the built-in sample set: synthetic mp4 videos of a shape whose class is its direction of motion.")
        {
            output, perClass, classes, frames, size, seed, force,
        };
        command.SetAction(parse =>
        {
            string folder = Path.GetFullPath(parse.GetValue(output)!);
            int count = parse.GetValue(perClass);
            if (count < 1) throw new CliException("--videos-per-class must be at least 1.");
            var actions = ParseActions(parse.GetValue(classes)!);
            if (!parse.GetValue(force) && Directory.Exists(folder) && Directory.EnumerateFiles(folder, "*.mp4", SearchOption.AllDirectories).Any())
            {
                io.Out.WriteLine($"{folder} already holds videos; keeping them (use --force to regenerate).");
                return CliApp.Success;
            }
            io.Out.WriteLine($"Generating {count} videos per class for {string.Join(", ", actions.Select(a => a.ToString().ToLowerInvariant()))} in {folder} ...");
            var watch = Stopwatch.StartNew();
            IReadOnlyList<SyntheticVideo> videos;
            try
            {
                videos = SyntheticActionVideos.Generate(folder, new SyntheticActionOptions
                {
                    VideosPerClass = count,
                    Classes = actions,
                    Frames = parse.GetValue(frames),
                    Size = parse.GetValue(size),
                    Seed = parse.GetValue(seed),
                });
            }
            catch (ArgumentException e)
            {
                throw new CliException(e.Message, e);
            }
            io.Out.WriteLine($"  {videos.Count} videos in {actions.Count} classes ({watch.Elapsed.TotalSeconds:F1} s)");
            return CliApp.Success;
        });
        return command;
    }

    private static List<SyntheticAction> ParseActions(string text)
    {
        var result = new List<SyntheticAction>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!Enum.TryParse<SyntheticAction>(part, ignoreCase: true, out var action) || int.TryParse(part, out _))
                throw new CliException($"--classes: unknown action '{part}'. Choose from {string.Join(", ", Enum.GetNames<SyntheticAction>().Select(n => n.ToLowerInvariant()))}.");
            result.Add(action);
        }
        if (result.Distinct().Count() < 2) throw new CliException("--classes: give at least two different actions.");
        return result.Distinct().ToList();
    }
}
