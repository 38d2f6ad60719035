using System.CommandLine;
using Microsoft.ML;
using MLNetVideo.Reporting;

namespace MLNetVideo.Cli.Commands;

/// <summary><c>mlnetvideo evaluate</c>: scores every video of a folder-per-class dataset with a saved model.</summary>
internal static class EvaluateCommand
{
    public static Command Create(CliOutput io)
    {
        var model = CommonOptions.Model("The model zip (from `mlnetvideo train` or mlContext.Model.Save).");
        var data = new Option<string>("--data", "-d") { Description = "Folder with one sub-folder of videos per class.", Required = true };
        var report = new Option<string?>("--report") { Description = "Folder for metrics.json and confusion-matrix.png (default: <model folder>/evaluation)." };
        var weightsFolder = CommonOptions.WeightsFolder();
        var onError = CommonOptions.OnError();
        var command = new Command("evaluate", "Evaluate a saved model on labelled videos: accuracy, top-k, log-loss, per-class F1, confusion matrix (text, JSON and PNG).")
        {
            model, data, report, weightsFolder, onError,
        };
        command.SetAction(parse =>
        {
            var mlContext = new MLContext(seed: 1);
            string modelPath = parse.GetValue(model)!;
            var rows = VideoData.Labelled(parse.GetValue(data)!);
            var loaded = VideoData.LoadModel(mlContext, modelPath, parse.GetValue(weightsFolder), out _);
            string folder = Path.GetFullPath(parse.GetValue(report) ?? Path.Combine(Path.GetDirectoryName(Path.GetFullPath(modelPath))!, "evaluation"));
            io.Out.WriteLine($"Evaluating {Path.GetFullPath(modelPath)} on {rows.Count} videos ...");
            EvaluationReport evaluation;
            var skipped = new List<(string Path, string Reason)>();
            Action<Transforms.Decoding.VideoDecodingException>? onDecodeError = parse.GetValue(onError) == "skip"
                ? e => skipped.Add((e.VideoPath, $"{e.Failure}: {e.Reason}"))
                : null;
            using var interrupt = io.CancelOnInterrupt(mlContext);
            try
            {
                evaluation = VideoEvaluation.Evaluate(mlContext, loaded, VideoData.Load(mlContext, rows), progress: io.Progress("decoding + scoring videos", "videos"),
                    onDecodeError: onDecodeError);
            }
            catch (Exception e) when (CliApp.DecodingFailure(e) is { } decoding)
            {
                throw new CliException($"{CliApp.Describe(decoding)} (--on-error skip leaves such videos out)", e);
            }
            catch (InvalidOperationException e) when (e.Message.Contains("Score", StringComparison.Ordinal) || e.Message.Contains("column", StringComparison.OrdinalIgnoreCase))
            {
                throw new CliException($"--model: '{modelPath}' cannot score videos: {e.Message}", e);
            }
            CommonOptions.ReportSkipped(io, skipped, rows.Count);
            io.Out.Write(ReportText.Summary(evaluation));
            TrainCommand.WriteReport(io, new RunReport
            {
                ModelPath = Path.GetFullPath(modelPath),
                Evaluation = evaluation,
                Skipped = skipped.Count == 0 ? null : skipped.Select(s => new SkippedVideo(s.Path, s.Reason)).ToArray(),
            }, null, folder);
            return CliApp.Success;
        });
        return command;
    }
}
