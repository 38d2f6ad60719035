using System.CommandLine;
using System.Diagnostics;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetVideo.Reporting;

namespace MLNetVideo.Cli.Commands;

/// <summary>
/// <c>mlnetvideo train</c>: folder-per-class videos → split → decode (once, with progress) → train with per-epoch
/// progress → evaluate on the held-out videos → model.zip, metrics.json, confusion-matrix.png, training-curves.png.
/// </summary>
internal static class TrainCommand
{
    public static Command Create(CliOutput io)
    {
        var data = new Option<string>("--data", "-d") { Description = "Folder with one sub-folder of videos per class.", Required = true };
        var model = CommonOptions.Model($"Model to train: {string.Join(", ", ModelRegistry.Names)}.");
        var output = new Option<string>("--output", "-o") { Description = "Where to save the model zip.", DefaultValueFactory = _ => "out/model.zip" };
        var report = new Option<string?>("--report") { Description = "Folder for metrics.json and the PNG plots (default: the model's folder)." };
        var epochs = new Option<int?>("--epochs") { Description = "Passes over the training videos (default: the model's, 30)." };
        var frames = new Option<int>("--frames") { Description = "Frames sampled per video (uniform segments).", DefaultValueFactory = _ => 8 };
        var size = new Option<int?>("--size") { Description = "Square frame size in pixels (default 32; 224 for evl with --clip-weights, CLIP's input size)." };
        var batch = new Option<int?>("--batch-size") { Description = "Clips per optimisation step (default: the model's)." };
        var rate = new Option<double?>("--learning-rate") { Description = "Peak learning rate, AdamW with warm-up and cosine decay (default: the model's)." };
        var width = new Option<double?>("--width") { Description = "Channel width multiplier (default: the model's; 1.0 = the paper's network)." };
        var testFraction = new Option<double>("--test-fraction") { Description = "Fraction of videos held out for evaluation (0 = none).", DefaultValueFactory = _ => 0.25 };
        var clipWeights = new Option<string?>("--clip-weights") { Description = "evl only: CLIP ViT-B/16 weights (safetensors or PyTorch zip). Without it a tiny random CLIP is used." };
        var device = CommonOptions.Device();
        var seed = CommonOptions.Seed();
        var logDir = new Option<string?>("--log-dir") { Description = "Folder for TensorBoard event files of the per-epoch scalars (tensorboard --logdir DIR)." };
        var splitSeed = new Option<int>("--split-seed") { Description = "Seed of the train/test split (3: the split the README's figures come from).", DefaultValueFactory = _ => 3 };
        var command = new Command("train", "Train a video classifier on a folder-per-class dataset, evaluate it on held-out videos and save model.zip, metrics.json and plots.")
        {
            data, model, output, report, epochs, frames, size, batch, rate, width, testFraction, clipWeights, device, seed, splitSeed, logDir,
        };
        command.SetAction(parse =>
        {
            var entry = ModelRegistry.Get(parse.GetValue(model)!);
            CommonOptions.CheckDevice(parse.GetValue(device)!);
            var rows = VideoData.Labelled(parse.GetValue(data)!);
            double fraction = parse.GetValue(testFraction);
            if (fraction is < 0 or >= 1) throw new CliException("--test-fraction must be in [0, 1).");
            string? weights = parse.GetValue(clipWeights);
            if (weights is not null && !File.Exists(weights)) throw new CliException($"--clip-weights: the file '{Path.GetFullPath(weights)}' does not exist.");
            if (weights is not null && entry.CreateFeaturizer is null) throw new CliException($"--clip-weights applies to evl only, not {entry.Name}.");
            int frameSize = parse.GetValue(size) ?? (weights is not null ? 224 : 32);
            if (parse.GetValue(frames) < 1 || frameSize < 8) throw new CliException("--frames must be ≥ 1 and --size ≥ 8.");
            if (parse.GetValue(epochs) is < 1) throw new CliException("--epochs must be at least 1.");
            string modelPath = Path.GetFullPath(parse.GetValue(output)!);
            string reportFolder = Path.GetFullPath(parse.GetValue(report) ?? Path.GetDirectoryName(modelPath)!);
            // Found out now, not after an hour of training: where the model and the report go must be writable.
            CheckWritable(Path.GetDirectoryName(modelPath)!, "--output");
            CheckWritable(reportFolder, "--report");

            var history = new TrainingHistory(io.Out);
            var settings = new ModelSettings
            {
                Frames = parse.GetValue(frames),
                Size = frameSize,
                Epochs = parse.GetValue(epochs),
                BatchSize = parse.GetValue(batch),
                LearningRate = parse.GetValue(rate),
                Width = parse.GetValue(width),
                Seed = parse.GetValue(seed),
                Device = parse.GetValue(device)!,
                ClipWeights = weights,
                OnEpoch = history.OnEpoch,
                LogDir = parse.GetValue(logDir) is { } dir ? Path.GetFullPath(dir) : null,
            };
            settings = settings with { Epochs = entry.Epochs(settings) };
            var result = Train(io, entry, rows, settings, fraction, history, parse.GetValue(splitSeed));

            SaveModel(result.MLContext, result.Model, result.InputSchema, modelPath);
            io.Out.WriteLine($"Saved {modelPath} ({new FileInfo(modelPath).Length / 1024.0:F0} KiB)");

            var runReport = new RunReport
            {
                Model = entry.Name,
                Settings = result.SettingsForReport,
                TrainCount = result.TrainCount,
                DecodeSeconds = result.DecodeSeconds,
                TrainSeconds = result.TrainSeconds,
                Epochs = history.Epochs.Select(EpochRecord.From).ToArray(),
                Evaluation = result.Evaluation,
                ModelPath = modelPath,
            };
            WriteReport(io, runReport, history, reportFolder);
            // Native memory (networks, libtorch tensors) is released now, deterministically, not by finalizers at exit.
            (result.Model as IDisposable)?.Dispose();
            return CliApp.Success;
        });
        return command;
    }

    internal sealed record TrainResult(MLContext MLContext, ITransformer Model, DataViewSchema InputSchema, int TrainCount, double DecodeSeconds,
        double TrainSeconds, EvaluationReport? Evaluation, IReadOnlyDictionary<string, object?> SettingsForReport);

    internal static TrainResult Train(CliOutput io, ModelEntry entry, IReadOnlyList<Transforms.Datasets.VideoDatasetRow> rows, ModelSettings settings,
        double testFraction, TrainingHistory history, int splitSeed = 3)
    {
        var mlContext = new MLContext(seed: settings.Seed);
        using var interrupt = io.CancelOnInterrupt(mlContext);
        var all = VideoData.Load(mlContext, rows);
        IDataView train = all, test = all;
        if (testFraction > 0)
        {
            var split = mlContext.Data.TrainTestSplit(all, testFraction, seed: splitSeed);
            (train, test) = (split.TrainSet, split.TestSet);
        }
        int trainCount = (int)Count(train), classes = rows.Select(r => r.Label).Distinct().Count();
        io.Out.WriteLine($"Data: {rows.Count} videos in {classes} classes; {trainCount} for training, {(testFraction > 0 ? rows.Count - trainCount : 0)} held out.");
        if (entry.CreateFeaturizer is not null && settings.ClipWeights is null)
            io.Out.WriteLine("NOTE: no --clip-weights given, so EVL runs on a TINY RANDOMLY INITIALISED CLIP encoder (not pretrained).\n      Accuracy shows that the pipeline works, not what CLIP features can do.");

        // Decoding (and frozen featurizing) runs once, with progress; training then reads clips from memory.
        IEstimator<ITransformer> prep = mlContext.Transforms.Conversion.MapValueToKey("Label")
            .Append(mlContext.Transforms.LoadVideoFrames(VideoData.LoaderOptions(settings, entry.Normalization)));
        string clipColumn = "Frames";
        if (entry.CreateFeaturizer is not null)
        {
            prep = prep.Append(entry.CreateFeaturizer(mlContext, settings));
            clipColumn = "ClipFeatures";
        }
        var prepModel = prep.Fit(train);
        var watch = Stopwatch.StartNew();
        var trainClips = VideoEvaluation.Materialize(mlContext, prepModel.Transform(train), clipColumn,
            io.Progress(entry.CreateFeaturizer is null ? "decoding training videos" : "decoding + featurizing training videos", "videos"));
        // The held-out videos are decoded before training too: an unreadable one stops the run now, naming the file,
        // instead of after training with no model saved. Evaluation then reads these clips.
        IDataView? testClips = testFraction > 0
            ? VideoEvaluation.Materialize(mlContext, prepModel.Transform(test), clipColumn,
                io.Progress(entry.CreateFeaturizer is null ? "decoding held-out videos" : "decoding + featurizing held-out videos", "videos"))
            : null;
        double decodeSeconds = watch.Elapsed.TotalSeconds;
        // Checked after the held-out videos are decoded, so an unreadable one is named first; still before any training.
        var trainClasses = mlContext.Data.CreateEnumerable<Transforms.Datasets.VideoDatasetRow>(train, reuseRowObject: false).Select(r => r.Label).Distinct().Order(StringComparer.Ordinal).ToArray();
        if (trainClasses.Length < 2)
            throw new CliException($"The training videos (after holding out --test-fraction {testFraction}) are all of {(trainClasses.Length == 0 ? "no class" : $"one class ('{trainClasses[0]}')")}; "
                + $"a classifier needs at least two. Add videos (the {rows.Count} found are too few to split) or lower --test-fraction (0 keeps every video for training).");

        io.Out.WriteLine($"Training {entry.Name}: {entry.Summary}; {settings.Frames} frames of {settings.Size}², {settings.Epochs} epochs ...");
        watch.Restart();
        ITransformer trained;
        try
        {
            trained = entry.CreateTrainer(mlContext, settings).Fit(trainClips);
        }
        catch (ArgumentOutOfRangeException e) when (e.ParamName == "inputSchema")
        {
            // The network cannot take these clips (for example S3D needs at least 8 frames): the user's settings, not a defect.
            throw new CliException($"{entry.Name} cannot train on {settings.Frames} frames of {settings.Size}²: {e.Message.Replace($" (Parameter '{e.ParamName}')", "", StringComparison.Ordinal)} Change --frames or --size.", e);
        }
        double trainSeconds = watch.Elapsed.TotalSeconds;
        io.Out.WriteLine($"  trained in {trainSeconds:F0} s");
        var keyToValue = mlContext.Transforms.Conversion.MapKeyToValue("PredictedLabel").Fit(trained.Transform(trainClips));
        var model = new TransformerChain<ITransformer>([.. VideoEvaluation.Flatten(prepModel), trained, keyToValue]);

        EvaluationReport? evaluation = null;
        if (testClips is not null)
        {
            io.Out.WriteLine("Evaluating on the held-out videos ...");
            var scorer = new TransformerChain<ITransformer>([trained, keyToValue]);
            evaluation = VideoEvaluation.Evaluate(mlContext, scorer, testClips, progress: io.Progress("scoring held-out videos", "videos"));
            io.Out.Write(ReportText.Summary(evaluation));
        }
        var report = new Dictionary<string, object?>
        {
            ["frames"] = settings.Frames, ["size"] = settings.Size, ["epochs"] = settings.Epochs, ["batchSize"] = settings.BatchSize,
            ["learningRate"] = settings.LearningRate, ["width"] = settings.Width, ["seed"] = settings.Seed, ["splitSeed"] = splitSeed, ["device"] = settings.Device,
            ["testFraction"] = testFraction, ["clipWeights"] = settings.ClipWeights, ["classes"] = classes,
        };
        return new TrainResult(mlContext, model, all.Schema, trainCount, decodeSeconds, trainSeconds, evaluation, report);
    }

    internal static void WriteReport(CliOutput io, RunReport report, TrainingHistory? history, string folder)
    {
        Directory.CreateDirectory(folder);
        string json = Path.Combine(folder, "metrics.json");
        report.Save(json);
        var written = new List<string> { json };
        if (report.Evaluation is not null)
        {
            string png = Path.Combine(folder, "confusion-matrix.png");
            Plots.SaveConfusionMatrix(report.Evaluation, png);
            written.Add(png);
        }
        if (history is not null && history.Epochs.Count > 0)
        {
            string png = Path.Combine(folder, "training-curves.png");
            Plots.SaveTrainingCurves(history.Epochs, png, title: $"Training curves: {report.Model}");
            written.Add(png);
        }
        io.Out.WriteLine("Wrote " + string.Join(", ", written));
    }

    /// <summary>Saves atomically: on a full disk or any failure the previous model zip stays as it was, and one line says so.</summary>
    internal static void SaveModel(MLContext mlContext, ITransformer model, DataViewSchema inputSchema, string modelPath)
    {
        try
        {
            mlContext.Model.SaveAtomically(model, inputSchema, modelPath);
        }
        catch (IOException e)
        {
            throw new CliException($"--output: {e.Message}", e);
        }
    }

    /// <summary>Creates the folder and writes and deletes a probe file in it, or stops with one line naming the folder.</summary>
    internal static void CheckWritable(string folder, string option)
    {
        string probe = Path.Combine(folder, $".mlnetvideo-write-check-{Guid.NewGuid():N}.tmp");
        try
        {
            Directory.CreateDirectory(folder);
            File.WriteAllBytes(probe, [1]);
            File.Delete(probe);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliException($"{option}: cannot write in the folder '{folder}' ({e.Message.TrimEnd('.')}); nothing was trained.", e);
        }
    }

    private static long Count(IDataView data)
    {
        long n = 0;
        using var cursor = data.GetRowCursor([]);
        while (cursor.MoveNext()) n++;
        return n;
    }
}
