using System.CommandLine;
using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetVideo.Reporting;

namespace MLNetVideo.Cli.Commands;

/// <summary><c>mlnetvideo predict</c>: classifies one video or every video of a folder and prints the top-k.</summary>
internal static class PredictCommand
{
    internal sealed class Input
    {
        public string VideoPath { get; set; } = "";

        public string Label { get; set; } = "";
    }

    internal sealed class Output
    {
        public string PredictedLabel { get; set; } = "";

        public float[] Score { get; set; } = [];
    }

    public static Command Create(CliOutput io)
    {
        var model = CommonOptions.Model("The model zip.");
        var paths = new Argument<string[]>("paths") { Description = "Video files or folders (searched recursively).", Arity = ArgumentArity.OneOrMore };
        var top = new Option<int>("--top") { Description = "How many classes to print per video.", DefaultValueFactory = _ => 3 };
        var weightsFolder = CommonOptions.WeightsFolder();
        var onError = CommonOptions.OnError();
        var command = new Command("predict", "Classify videos with a saved model and print each one's most likely actions.") { model, paths, top, weightsFolder, onError };
        command.SetAction(parse =>
        {
            var files = parse.GetValue(paths)!.SelectMany(VideoData.Files).ToArray();
            int k = parse.GetValue(top);
            if (k < 1) throw new CliException("--top must be at least 1.");
            var mlContext = new MLContext(seed: 1);
            var loaded = VideoData.LoadModel(mlContext, parse.GetValue(model)!, parse.GetValue(weightsFolder), out var inputSchema);
            var names = ClassNames(loaded, inputSchema);
            using var engine = mlContext.Model.CreatePredictionEngine<Input, Output>(loaded, inputSchema: inputSchema);
            string common = files.Length > 1 ? CommonFolder(files) : Path.GetDirectoryName(files[0])!;
            bool skip = parse.GetValue(onError) == "skip";
            var skipped = new List<(string Path, string Reason)>();
            foreach (var file in files)
            {
                string videoPath;
                try
                {
                    videoPath = ModelInputs.VideoPathFor(loaded, file);
                }
                catch (ArgumentException e)
                {
                    throw new CliException(e.Message, e);
                }
                Output output;
                try
                {
                    output = engine.Predict(new Input { VideoPath = videoPath });
                }
                catch (Exception e) when (CliApp.DecodingFailure(e) is { } decoding)
                {
                    if (!skip)
                        throw new CliException($"{CliApp.Describe(decoding)} (--on-error skip leaves such videos out)", e);
                    skipped.Add((file, $"{decoding.Failure}: {decoding.Reason}"));
                    continue;
                }
                var best = output.Score.Select((s, i) => (Name: i < names.Length ? names[i] : $"class {i}", Score: s))
                    .OrderByDescending(p => p.Score).Take(k)
                    .Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.Name} {p.Score:P1}"));
                io.Out.WriteLine($"{Path.GetRelativePath(common, file)}\t{output.PredictedLabel}\t{string.Join(", ", best)}");
            }
            CommonOptions.ReportSkipped(io, skipped, files.Length);
            if (skipped.Count == files.Length)
                throw new CliException($"none of the {files.Length} videos could be decoded.");
            return CliApp.Success;
        });
        return command;
    }

    internal static string[] ClassNames(ITransformer model, DataViewSchema inputSchema)
    {
        try
        {
            return VideoEvaluation.ClassNames(model.GetOutputSchema(inputSchema));
        }
        catch (ArgumentOutOfRangeException e)
        {
            throw new CliException("--model: the model has no Score column; it is not a video classifier.", e);
        }
    }

    private static string CommonFolder(IReadOnlyList<string> files)
    {
        string prefix = Path.GetDirectoryName(files[0])!;
        while (!files.All(f => f.StartsWith(prefix + Path.DirectorySeparatorChar, StringComparison.Ordinal)))
            prefix = Path.GetDirectoryName(prefix) ?? "/";
        return prefix;
    }
}
