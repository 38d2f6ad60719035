using System.CommandLine;
using System.Diagnostics;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetVideo.Reporting;
using MLNetVideo.Trainers;
using MLNetVideo.Trainers.AFNet;

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
        var frames = new Option<int?>("--frames") { Description = "Frames sampled per video (uniform segments; default 8, or what --weights' checkpoint expects)." };
        var size = new Option<int?>("--size") { Description = "Square frame size in pixels (default 32; 224 for evl with --clip-weights, CLIP's input size; or what --weights' checkpoint expects)." };
        var batch = new Option<int?>("--batch-size") { Description = "Clips per optimisation step (default: the model's)." };
        var rate = new Option<double?>("--learning-rate") { Description = "Peak learning rate, AdamW with warm-up and cosine decay (default: the model's)." };
        var width = new Option<double?>("--width") { Description = "Channel width multiplier (default: the model's; 1.0 = the paper's network)." };
        var testFraction = new Option<double>("--test-fraction") { Description = "Fraction of videos held out for evaluation (0 = none).", DefaultValueFactory = _ => 0.25 };
        var clipWeights = new Option<string?>("--clip-weights") { Description = "evl only: CLIP ViT-B/16 weights (safetensors or PyTorch zip). Without it a tiny random CLIP is used." };
        var initialWeights = new Option<string?>("--weights") { Description = "Checkpoint to fine-tune from: an official release (S3D, MoViNet, TSM, AFNet, EVL; its architecture and preprocessing are then applied) or a state dict in this library's names. The head is re-initialised for your classes." };
        var freeze = new Option<string?>("--freeze") { Description = "Freeze the first N backbone stages (the stem counts as one), or 'all' to train only the classification head." };
        var backboneScale = new Option<double?>("--backbone-lr-scale") { Description = "Learning-rate multiplier of the backbone relative to the new head, e.g. 0.1 when fine-tuning (default 1)." };
        var device = CommonOptions.Device();
        var seed = CommonOptions.Seed();
        var logDir = new Option<string?>("--log-dir") { Description = "Folder for TensorBoard event files of the per-epoch scalars (tensorboard --logdir DIR)." };
        var splitSeed = new Option<int>("--split-seed") { Description = "Seed of the train/test split (3: the split the README's figures come from).", DefaultValueFactory = _ => 3 };
        var command = new Command("train", "Train a video classifier on a folder-per-class dataset, evaluate it on held-out videos and save model.zip, metrics.json and plots.")
        {
            data, model, output, report, epochs, frames, size, batch, rate, width, testFraction, clipWeights, initialWeights, freeze, backboneScale, device, seed, splitSeed, logDir,
        };
        command.SetAction(parse =>
        {
            var entry = ModelRegistry.Get(parse.GetValue(model)!);
            CommonOptions.CheckDevice(parse.GetValue(device)!);
            double fraction = parse.GetValue(testFraction);
            if (fraction is < 0 or >= 1) throw new CliException("--test-fraction must be in [0, 1).");
            string? weights = parse.GetValue(clipWeights);
            if (weights is not null && !File.Exists(weights)) throw new CliException($"--clip-weights: the file '{Path.GetFullPath(weights)}' does not exist.");
            if (weights is not null && entry.CreateFeaturizer is null) throw new CliException($"--clip-weights applies to evl only, not {entry.Name}.");
            var pretrained = Pretrained(parse.GetValue(initialWeights), entry, weights, parse.GetValue(frames));
            int frameCount = parse.GetValue(frames) ?? pretrained.Known?.Frames ?? 8;
            int frameSize = parse.GetValue(size) ?? pretrained.Known?.Size ?? (weights is not null ? 224 : 32);
            if (frameCount < 1 || frameSize < 8) throw new CliException("--frames must be ≥ 1 and --size ≥ 8.");
            entry.CheckClip(frameCount, frameSize);
            var (freezeBackbone, frozenStages) = ParseFreeze(parse.GetValue(freeze));
            if (parse.GetValue(backboneScale) is { } scale && !(scale > 0 && scale <= 1000)) throw new CliException("--backbone-lr-scale must be in (0, 1000].");
            var rows = VideoData.Labelled(parse.GetValue(data)!);
            if (parse.GetValue(epochs) is < 1) throw new CliException("--epochs must be at least 1.");
            string modelPath = Path.GetFullPath(parse.GetValue(output)!);
            string reportFolder = Path.GetFullPath(parse.GetValue(report) ?? Path.GetDirectoryName(modelPath)!);
            // Found out now, not after an hour of training: where the model and the report go must be writable.
            CheckWritable(Path.GetDirectoryName(modelPath)!, "--output");
            CheckWritable(reportFolder, "--report");

            var history = new TrainingHistory(io.Out, io.Interactive);
            var settings = new ModelSettings
            {
                Frames = frameCount,
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
                Weights = pretrained.Path,
                FreezeBackbone = freezeBackbone,
                FrozenStages = frozenStages,
                BackboneLearningRateScale = parse.GetValue(backboneScale),
                Architecture = pretrained.Known?.Architecture,
                Normalization = pretrained.Known?.Normalization,
                Sampling = pretrained.Known?.Sampling,
                FrameInterval = pretrained.Known?.FrameInterval ?? 1,
                ShortSide = pretrained.Known?.ShortSide is { } side && frameSize == pretrained.Known.Size ? side : null,
            };
            if (pretrained.Known is { } known)
                io.Out.WriteLine($"Weights: {known.Name}: training its architecture on {frameCount} frames of {frameSize}² " +
                    $"({(known.Sampling == Transforms.Decoding.SamplingMode.Dense ? $"every {known.FrameInterval}th frame" : "uniform segments")}), {settings.Normalization} normalisation.");
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
                HeldOutFamilyMetrics = result.HeldOutFamilyMetrics,
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
        double TrainSeconds, EvaluationReport? Evaluation, IReadOnlyDictionary<string, object?> SettingsForReport)
    {
        /// <summary>AFNet: selected-frame ratio and executed cost per held-out clip; null for other models or without held-out videos.</summary>
        public IReadOnlyDictionary<string, double>? HeldOutFamilyMetrics { get; init; }
    }

    internal static TrainResult Train(CliOutput io, ModelEntry entry, IReadOnlyList<Transforms.Datasets.VideoDatasetRow> rows, ModelSettings settings,
        double testFraction, TrainingHistory history, int splitSeed = 3)
    {
        var mlContext = new MLContext(seed: settings.Seed);
        // The import report of --weights (first line: file, container, layout, counts, what happened to the head).
        mlContext.Log += (_, e) =>
        {
            if (e.RawMessage.StartsWith("Initial weights ", StringComparison.Ordinal))
                io.Out.WriteLine(e.RawMessage.Split('\n')[0]);
        };
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
        IReadOnlyDictionary<string, double>? familyMetrics = null;
        if (testClips is not null && trained is VideoClassifierTransformer<Trainers.AFNet.AFNetSpec> afnet)
        {
            familyMetrics = HeldOutCost(afnet, testClips, clipColumn);
            io.Out.WriteLine(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"  AFNet on the held-out videos: selected frame ratio {familyMetrics["SelectedFrameRatio"]:F3}, executed {familyMetrics["ExecutedGFLOPsPerClip"]:G4} GFLOPs per clip ({familyMetrics["ExecutedGMACsPerClip"]:G4} GMACs; all frames: {familyMetrics["AllFramesGFLOPsPerClip"]:G4} GFLOPs)"));
        }
        var report = new Dictionary<string, object?>
        {
            ["frames"] = settings.Frames, ["size"] = settings.Size, ["epochs"] = settings.Epochs, ["batchSize"] = settings.BatchSize,
            ["learningRate"] = settings.LearningRate, ["width"] = settings.Width, ["seed"] = settings.Seed, ["splitSeed"] = splitSeed, ["device"] = settings.Device,
            ["testFraction"] = testFraction, ["clipWeights"] = settings.ClipWeights, ["classes"] = classes, ["weights"] = settings.Weights,
            ["freeze"] = settings.FreezeBackbone ? "all" : settings.FrozenStages.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["backboneLrScale"] = settings.BackboneLearningRateScale,
        };
        return new TrainResult(mlContext, model, all.Schema, trainCount, decodeSeconds, trainSeconds, evaluation, report)
        {
            HeldOutFamilyMetrics = familyMetrics,
        };
    }

    /// <summary>AFNet's mean selected-frame ratio and executed cost per held-out clip (each clip scored with its executed-cost
    /// trace: the focal branches count only the frames the navigation selected), and the cost with every frame selected.</summary>
    private static Dictionary<string, double> HeldOutCost(VideoClassifierTransformer<Trainers.AFNet.AFNetSpec> afnet, IDataView clips, string clipColumn)
    {
        double ratio = 0, macs = 0;
        long rows = 0;
        float[]? first = null;
        foreach (var clip in clips.GetColumn<VBuffer<float>>(clipColumn))
        {
            var values = clip.DenseValues().ToArray();
            first ??= values;
            var prediction = afnet.Predict(values);
            ratio += prediction.SelectedFrameRatio;
            macs += prediction.MultiplyAccumulates;
            rows++;
        }
        double allFrames = first is null ? double.NaN : afnet.AllFramesMultiplyAccumulates(first);
        return new Dictionary<string, double>
        {
            ["SelectedFrameRatio"] = rows > 0 ? ratio / rows : double.NaN,
            ["ExecutedGMACsPerClip"] = rows > 0 ? macs / rows / 1e9 : double.NaN,
            ["ExecutedGFLOPsPerClip"] = rows > 0 ? 2 * macs / rows / 1e9 : double.NaN,
            ["AllFramesGFLOPsPerClip"] = 2 * allFrames / 1e9,
        };
    }

    /// <summary>Checks <c>--weights</c> and identifies a known checkpoint, whose model family must be the one trained.</summary>
    internal static (string? Path, KnownCheckpoint? Known) Pretrained(string? path, ModelEntry entry, string? clipWeights, int? frames)
    {
        if (path is null) return (null, null);
        string full = System.IO.Path.GetFullPath(path);
        if (!File.Exists(full)) throw new CliException($"--weights: the file '{full}' does not exist.");
        var known = KnownCheckpoints.Identify(full);
        if (known is null) return (full, null);
        if (!known.Models.Contains(entry.Name, StringComparer.OrdinalIgnoreCase))
            throw new CliException($"--weights: '{full}' is a {known.Name} checkpoint; train it with --model {known.Models[0]}, not {entry.Name}.");
        if (known.FixedFrames && frames is { } f && f != known.Frames)
            throw new CliException($"--frames {f}: the {known.Name} checkpoint was built for {known.Frames} frames; leave --frames out or give {known.Frames}.");
        if (entry.CreateFeaturizer is not null && clipWeights is null)
            throw new CliException($"--weights: the {known.Name} checkpoint decodes CLIP ViT-B/16 features; give the CLIP weights too (--clip-weights ViT-B-16.pt).");
        return (full, known);
    }

    /// <summary><c>--freeze</c>: "all" or a stage count.</summary>
    internal static (bool Backbone, int Stages) ParseFreeze(string? value)
    {
        if (value is null) return (false, 0);
        if (string.Equals(value, "all", StringComparison.OrdinalIgnoreCase)) return (true, 0);
        if (int.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int stages)) return (false, stages);
        throw new CliException($"--freeze must be a number of stages (0, 1, 2, …) or 'all'; got '{value}'.");
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
