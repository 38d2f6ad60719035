using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetVideo.Featurizers.Clip;
using MLNetVideo.Featurizers.Onnx;
using MLNetVideo.Tests.TestSupport;
using MLNetVideo.Tests.Trainers;
using MLNetVideo.Trainers.AFNet;
using MLNetVideo.Trainers.Evl;
using MLNetVideo.Trainers.MoViNet;
using MLNetVideo.Trainers.S3D;
using MLNetVideo.Trainers.Tsm;
using MLNetVideo.Transforms.Decoding;
using MLNetVideo.Transforms.SampleData;
using MLNetVideo.Transforms.TemporalClustering;
using MLNetVideo.Weights;
using TorchSharp;

namespace MLNetVideo.Tests.Reliability;

/// <summary>
/// Issue 15's zip-field mutation fuzz: one small model zip per persisted MLNetVideo component (LoadVideoFrames, temporal
/// clustering, both CLIP featurizers with external files, the five trainers), every value of every JSON entry of each
/// changed as an attacker who also rewrites the manifest hash would — paths into a trap folder, a marker-writing script as a
/// program, extreme numbers, flipped switches, nulls, added FfmpegPath/FfprobePath — then loaded with
/// <c>Model.Load(path, options, out schema)</c> and used for one prediction. A run is a violation when anything is written in
/// the sandbox outside the work folder, the script runs, a loaded LoadVideoFrames keeps a zip-chosen folder or a looser limit,
/// a refusal surfaces as a wrapper or a defect (TargetInvocationException, NullReferenceException, ...), or it takes too long.
/// </summary>
internal sealed class ModelZipMutationFuzz : IDisposable
{
    /// <summary>Exceptions that are clear refusals of bad settings.</summary>
    private static readonly Type[] Refusals =
    [
        typeof(InvalidDataException), typeof(FileNotFoundException), typeof(VideoDecodingException), typeof(ArgumentException),
        typeof(InvalidOperationException), typeof(NotSupportedException), typeof(FormatException),
    ];

    private readonly List<ZipSubject> _subjects = [];
    private int _runs;

    private ModelZipMutationFuzz(string root)
    {
        Root = root;
        Directory.CreateDirectory(Videos);
        Directory.CreateDirectory(Weights);
        Directory.CreateDirectory(Trap);
        Directory.CreateDirectory(Zips);
        Directory.CreateDirectory(Work);
    }

    /// <summary>The sandbox: videos/, weights/, zips/ and trap/ are read-only to the loaded models; work/ holds mutated zips.</summary>
    public string Root { get; }

    public string Videos => Path.Combine(Root, "videos");

    public string Weights => Path.Combine(Root, "weights");

    /// <summary>Every mutated path points in here; it must stay empty.</summary>
    public string Trap => Path.Combine(Root, "trap");

    private string Zips => Path.Combine(Root, "zips");

    private string Work => Path.Combine(Root, "work");

    /// <summary>A program that, if ever run, leaves a file in <see cref="Trap"/>.</summary>
    public string Script => Path.Combine(Root, "marker-script.sh");

    public IReadOnlyList<ZipSubject> Subjects => _subjects;

    /// <summary>What the loading application says in every run.</summary>
    public VideoModelLoadOptions LoadOptions => new() { VideoFolder = Videos, WeightsFolder = Weights };

    /// <summary>Builds the sandbox and one zip per component (tiny networks, one epoch).</summary>
    public static ModelZipMutationFuzz Create(string root)
    {
        var fuzz = new ModelZipMutationFuzz(root);
        fuzz.Build();
        return fuzz;
    }

    private void Build()
    {
        File.WriteAllText(Script, $"#!/bin/sh\necho ran > '{Path.Combine(Trap, "script-ran")}'\nexit 1\n");
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(Script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var frames = Enumerable.Range(0, 4).Select(i => Enumerable.Repeat((byte)(40 + i * 40), 32 * 32 * 3).ToArray()).ToList();
        SyntheticActionVideos.Encode(Path.Combine(Videos, "clip.mp4"), frames, 32, 32, 25);

        var mlContext = new MLContext(seed: 1);
        torch.manual_seed(1);
        string clipWeights = Path.Combine(Weights, "tiny-clip.safetensors");
        using (var tower = new ClipVisionNetwork(ClipVisionSpecs.Tiny))
            SafeTensorsWriter.Write(clipWeights, tower.state_dict().ToDictionary(kv => "visual." + kv.Key, kv => kv.Value));
        string onnx = Path.Combine(Weights, "tiny-clip.onnx");
        ClipOnnxExporter.ExportFromWeights(clipWeights, ClipVisionVariant.Tiny, onnx);

        // LoadVideoFrames, with every option away from its default where it can be.
        var paths = mlContext.Data.LoadFromEnumerable(new[] { new PathRow { VideoPath = "clip.mp4" } });
        Save("LoadVideoFrames", mlContext.Transforms.LoadVideoFrames(new VideoFrameLoadingEstimator.Options
        {
            InputColumnName = "VideoPath", OutputColumnName = "Frames", VideoFolder = Videos, Sampling = SamplingMode.Dense, FramesPerClip = 2,
            FrameInterval = 1, FrameSize = 16, Resize = ResizeMode.Stretch, Normalization = PixelNormalization.Custom,
            CustomMean = [0.5f, 0.5f, 0.5f], CustomStd = [0.25f, 0.25f, 0.25f], TargetFps = 25, MaxResolution = 1024, MaxFrames = 1000,
            MaxFileBytes = 1 << 20, DecodeTimeout = TimeSpan.FromSeconds(30), Seed = 3,
        }).Fit(paths), paths, ml => ml.Data.LoadFromEnumerable(new[] { new PathRow { VideoPath = "clip.mp4" } }), "Frames");

        var sequences = mlContext.Data.LoadFromEnumerable(Sequences());
        Save("TemporalClustering", mlContext.Transforms.AggregateTemporalClusters(new TemporalClusteringEstimator.Options
        {
            InputColumnName = "Features", OutputColumnName = "Clusters", ClusterCount = 2,
        }).Fit(sequences), sequences, ml => ml.Data.LoadFromEnumerable(Sequences()), "Clusters");

        // Both CLIP featurizers read their file from weights/ and, at save time, cached into the trap: a loaded model may not.
        var clips = ClipsWithPaths(mlContext);
        var sampling = new VideoFrameLoadingEstimator.Options { InputColumnName = "VideoPath", VideoFolder = Trap, FramesPerClip = 2, FrameSize = 32 };
        Save("ClipFeaturizer", mlContext.Transforms.FeaturizeVideoWithClip(new ClipFeaturizingEstimator.Options
        {
            InputColumnName = "Frames", InputLayout = ClipFrameLayout.Cthw, Variant = ClipVisionVariant.Tiny, WeightsPath = clipWeights, LayersKept = 2,
            FramesPerBatch = 8, RowsPerBatch = 2, CacheFolder = Path.Combine(Trap, "clip-cache"), CacheVideoPathColumnName = "VideoPath",
            CacheVideoSampling = sampling, Device = "cpu",
        }).Fit(clips), clips, ClipsWithPaths, "ClipFeatures");
        Save("OnnxClipFeaturizer", mlContext.Transforms.FeaturizeVideoWithOnnxClip(new OnnxClipFeaturizingEstimator.Options
        {
            InputColumnName = "Frames", InputLayout = ClipFrameLayout.Cthw, ModelPath = onnx, LayersKept = 2, ImageMean = [0.5f, 0.5f, 0.5f],
            ImageStd = [0.25f, 0.25f, 0.25f], FramesPerBatch = 8, RowsPerBatch = 2, CacheFolder = Path.Combine(Trap, "onnx-cache"),
            CacheVideoPathColumnName = "VideoPath", CacheVideoSampling = sampling, IntraOpThreads = 1,
        }).Fit(clips), clips, ClipsWithPaths, "ClipFeatures");

        var keyed = SyntheticClips.LoadKeyed(mlContext, SyntheticClips.Motion(4, seed: 1));
        Func<MLContext, IDataView> keyedProbe = ml => SyntheticClips.LoadKeyed(ml, SyntheticClips.Motion(2, seed: 2));
        Save("S3D", mlContext.MulticlassClassification.Trainers.S3D(new S3DTrainer.Options
        {
            Variant = S3DVariant.S3DG, WidthMultiplier = 0.125, Epochs = 1, BatchSize = 4, Device = "cpu", Seed = 3,
        }).Fit(keyed), keyed, keyedProbe, "Score");
        Save("MoViNet", mlContext.MulticlassClassification.Trainers.MoViNet(new MoViNetTrainer.Options
        {
            Variant = MoViNetVariant.A0, Mode = MoViNetMode.Stream, WidthMultiplier = 0.25, ClassifierHiddenChannels = 32, Epochs = 1,
            BatchSize = 4, Device = "cpu", Seed = 3,
        }).Fit(keyed), keyed, keyedProbe, "Score");
        Save("TSM", mlContext.MulticlassClassification.Trainers.Tsm(new TsmTrainer.Options
        {
            Depth = TsmDepth.ResNet18, WidthMultiplier = 0.25, Clustering = TsmClustering.Cumulative, ClusterCount = 4, ClipLayout = ClipLayout.Cthw,
            Epochs = 1, BatchSize = 4, Device = "cpu", Seed = 3,
        }).Fit(keyed), keyed, keyedProbe, "Score");
        Save("AFNet", mlContext.MulticlassClassification.Trainers.AFNet(new AFNetTrainer.Options
        {
            Depth = AFNetDepth.ResNet18, WidthMultiplier = 0.25, ClipLayout = ClipLayout.Cthw, Epochs = 1, BatchSize = 4, Device = "cpu", Seed = 3,
        }).Fit(keyed), keyed, keyedProbe, "Score");
        IDataView Features(MLContext ml, IDataView clipData)
            => ml.Data.Cache(ml.Transforms.FeaturizeVideoWithClip(new ClipFeaturizingEstimator.Options
            {
                InputColumnName = "Frames", InputLayout = ClipFrameLayout.Cthw, Variant = ClipVisionVariant.Tiny, LayersKept = 2, Seed = 3, Device = "cpu",
            }).Fit(clipData).Transform(clipData));
        var features = Features(mlContext, keyed);
        Save("EVL", mlContext.MulticlassClassification.Trainers.Evl(new EvlTrainer.Options
        {
            BackboneHeads = ClipVisionSpecs.Tiny.Heads, Epochs = 1, BatchSize = 4, Device = "cpu", Seed = 3,
        }).Fit(features), features, ml => Features(ml, keyedProbe(ml)), "Score");

        // Nothing may be in the trap before the first run.
        Directory.Delete(Trap, recursive: true);
        Directory.CreateDirectory(Trap);
    }

    private void Save(string component, ITransformer model, IDataView data, Func<MLContext, IDataView> probe, string output)
    {
        string zip = Path.Combine(Zips, component + ".zip");
        new MLContext().Model.SaveAtomically(model, data.Schema, zip);
        (model as IDisposable)?.Dispose();
        _subjects.Add(new ZipSubject(component, zip, probe, output));
    }

    public sealed class PathRow
    {
        public string VideoPath { get; set; } = "";
    }

    public sealed class SequenceRow
    {
        [VectorType(4, 3)]
        public float[] Features { get; set; } = [];
    }

    private static SequenceRow[] Sequences() => [new SequenceRow { Features = [.. Enumerable.Range(0, 12).Select(i => (float)Math.Sin(i))] }];

    public sealed class ClipPathRow
    {
        public string VideoPath { get; set; } = "";

        public float[] Frames { get; set; } = [];
    }

    private static IDataView ClipsWithPaths(MLContext ml)
    {
        var definition = SchemaDefinition.Create(typeof(ClipPathRow));
        definition[nameof(ClipPathRow.Frames)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, 3, 2, 32, 32);
        var rows = SyntheticClips.Motion(2, seed: 4, frames: 2).Select((r, i) => new ClipPathRow { VideoPath = $"clip-{i}.mp4", Frames = r.Frames });
        return ml.Data.LoadFromEnumerable(rows, definition);
    }

    // ---- mutations ----

    /// <summary>Every change of every value of every JSON entry of every component, plus the added program paths.</summary>
    public IReadOnlyList<ZipMutation> AllMutations() => Enumerate(onePerValue: false);

    /// <summary>One change per value (its kind taken in turn), plus the added program paths: what CI runs.</summary>
    public IReadOnlyList<ZipMutation> OnePerValue() => Enumerate(onePerValue: true);

    private List<ZipMutation> Enumerate(bool onePerValue)
    {
        var result = new List<ZipMutation>();
        foreach (var subject in _subjects)
        {
            foreach (var entry in ModelZipTampering.EntriesEndingWith(subject.ZipPath, ".json"))
            {
                var root = JsonNode.Parse(ModelZipTampering.Read(subject.ZipPath, entry))!;
                int index = 0;
                foreach (var (path, node) in Values(root, ""))
                {
                    // CI keeps long arrays (MoViNet's block table, class names) to their first and last members.
                    if (onePerValue && IsInnerArrayMember(root, path))
                        continue;
                    var kinds = KindsOf(node);
                    var chosen = onePerValue ? [kinds[index % kinds.Count]] : kinds;
                    index++;
                    foreach (var (kind, value) in chosen)
                        result.Add(new ZipMutation(subject, entry, path, kind, json => Set(json, path, value())));
                }
                // Older zips stored the decoder programs; a zip that names one must never run it.
                foreach (var (path, node) in Values(root, "").Where(v => v.Node is JsonObject o && o.ContainsKey("FramesPerClip")).Prepend(("", root)))
                {
                    if (node is not JsonObject options || !options.ContainsKey("FramesPerClip")) continue;
                    string at = path;
                    result.Add(new ZipMutation(subject, entry, at.Length == 0 ? "(root)" : at, "executable-insert", json =>
                    {
                        var target = (JsonObject)(at.Length == 0 ? json : Find(json, at)!);
                        target["FfmpegPath"] = Script;
                        target["FfprobePath"] = Script;
                    }));
                }
            }
        }
        return result;
    }

    /// <summary>Whether <paramref name="path"/> lies under a member of an array that is neither its first nor its last.</summary>
    private static bool IsInnerArrayMember(JsonNode root, string path)
    {
        var segments = Segments(path).ToList();
        for (int n = 0; n < segments.Count; n++)
        {
            if (segments[n].Index is not int i || i == 0)
                continue;
            var array = (JsonArray)Find(root, Join(segments[..n]))!;
            if (i < array.Count - 1)
                return true;
        }
        return false;
    }

    /// <summary>Every value below <paramref name="node"/> (objects and arrays too, then their members), with its path.</summary>
    private static IEnumerable<(string Path, JsonNode? Node)> Values(JsonNode? node, string path)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (name, child) in obj.ToArray())
                {
                    string childPath = path.Length == 0 ? name : $"{path}.{name}";
                    yield return (childPath, child);
                    foreach (var inner in Values(child, childPath))
                        yield return inner;
                }
                break;
            case JsonArray array:
                for (int i = 0; i < array.Count; i++)
                {
                    string childPath = $"{path}[{i}]";
                    yield return (childPath, array[i]);
                    foreach (var inner in Values(array[i], childPath))
                        yield return inner;
                }
                break;
        }
    }

    private List<(string Kind, Func<JsonNode?> Value)> KindsOf(JsonNode? node)
    {
        string absolute = Path.Combine(Trap, "absolute-" + Guid.NewGuid().ToString("N")[..6]);
        string relative = Path.GetRelativePath(Environment.CurrentDirectory, Path.Combine(Trap, "relative-" + Guid.NewGuid().ToString("N")[..6]));
        var kinds = new List<(string, Func<JsonNode?>)>();
        switch (node?.GetValueKind())
        {
            case JsonValueKind.String:
                kinds.Add(("trap-absolute", () => absolute));
                kinds.Add(("trap-relative", () => relative));
                kinds.Add(("script", () => Script));
                kinds.Add(("empty", () => ""));
                break;
            case JsonValueKind.Number:
                bool integer = long.TryParse(node.ToJsonString(), out long whole);
                double number = node.GetValue<double>();
                kinds.Add(("huge", () => integer ? JsonValue.Create(int.MaxValue) : JsonValue.Create(1e300)));
                kinds.Add(("zero", () => 0));
                kinds.Add(("minus-one", () => -1));
                kinds.Add(("grown", () => integer ? JsonValue.Create(whole * 2 + 1) : JsonValue.Create(number * 10 + 1)));
                break;
            case JsonValueKind.True or JsonValueKind.False:
                bool flag = node.GetValue<bool>();
                kinds.Add(("flipped", () => !flag));
                break;
            case JsonValueKind.Array:
                kinds.Add(("empty-array", () => new JsonArray()));
                kinds.Add(("null", () => null));
                break;
            case JsonValueKind.Object:
                kinds.Add(("null", () => null));
                break;
            default:
                // A null in the saved settings (for example an unset folder): give it a path into the trap, and a number.
                kinds.Add(("trap-absolute", () => absolute));
                kinds.Add(("number", () => 7));
                break;
        }
        return kinds;
    }

    private static JsonNode? Find(JsonNode root, string path)
    {
        JsonNode? current = root;
        foreach (var (name, index) in Segments(path))
            current = index is int i ? current?[i] : current?[name!];
        return current;
    }

    private static void Set(JsonNode root, string path, JsonNode? value)
    {
        var segments = Segments(path).ToList();
        var parent = segments.Count == 1 ? root : Find(root, Join(segments[..^1]))!;
        var (name, index) = segments[^1];
        if (index is int i)
            ((JsonArray)parent)[i] = value;
        else
            ((JsonObject)parent)[name!] = value;
    }

    private static string Join(IEnumerable<(string? Name, int? Index)> segments)
        => string.Concat(segments.Select((s, n) => s.Index is int i ? $"[{i}]" : (n == 0 ? s.Name : "." + s.Name)));

    private static IEnumerable<(string? Name, int? Index)> Segments(string path)
    {
        foreach (var part in path.Split('.'))
        {
            int bracket = part.IndexOf('[');
            yield return (bracket < 0 ? part : part[..bracket], null);
            while (bracket >= 0)
            {
                int end = part.IndexOf(']', bracket);
                yield return (null, int.Parse(part[(bracket + 1)..end], System.Globalization.CultureInfo.InvariantCulture));
                bracket = part.IndexOf('[', end);
            }
        }
    }

    // ---- running one mutation ----

    /// <summary>Writes the mutated zip, loads it under <see cref="LoadOptions"/>, predicts once, and checks every rule.</summary>
    public ZipMutationOutcome Run(ZipMutation mutation, TimeSpan timeout)
    {
        string zip = Path.Combine(Work, $"mutated-{Interlocked.Increment(ref _runs)}.zip");
        File.Copy(mutation.Subject.ZipPath, zip, overwrite: true);
        var json = JsonNode.Parse(ModelZipTampering.Read(zip, mutation.Entry))!;
        mutation.Apply(json);
        ModelZipTampering.Replace(zip, mutation.Entry, JsonSerializer.SerializeToUtf8Bytes(json));
        var before = Snapshot();
        var violations = new List<string>();
        var watch = Stopwatch.StartNew();
        var task = Task.Run(() => Execute(zip, mutation.Subject, violations));
        (ZipMutationResult Result, Exception? Error) outcome;
        if (!task.Wait(timeout))
        {
            violations.Add($"did not finish within {timeout.TotalSeconds:0} s");
            outcome = (ZipMutationResult.RefusedAtLoad, null);
        }
        else
        {
            outcome = task.Result;
        }
        watch.Stop();
        var after = Snapshot();
        foreach (var added in after.Except(before))
            violations.Add($"wrote or changed '{added}'");
        if (Directory.EnumerateFileSystemEntries(Trap).Any())
            violations.Add("something was created in the trap folder: " + string.Join(", ", Directory.EnumerateFileSystemEntries(Trap).Select(Path.GetFileName)));
        if (outcome.Error is { } error && !IsClearRefusal(error))
            violations.Add($"{error.GetType().Name} instead of a clear refusal: {error.Message}");
        // Clean the sandbox for the next run (a violation was recorded already).
        foreach (var entry in Directory.EnumerateFileSystemEntries(Trap))
        {
            if (Directory.Exists(entry)) Directory.Delete(entry, recursive: true);
            else File.Delete(entry);
        }
        if (task.IsCompleted)
            File.Delete(zip);
        return new ZipMutationOutcome(mutation, outcome.Result, outcome.Error?.GetType().Name, outcome.Error?.Message, violations, watch.Elapsed);
    }

    private (ZipMutationResult, Exception?) Execute(string zip, ZipSubject subject, List<string> violations)
    {
        var mlContext = new MLContext(seed: 1);
        ITransformer model;
        try
        {
            model = mlContext.Model.Load(zip, LoadOptions, out _);
        }
        catch (Exception e)
        {
            return (ZipMutationResult.RefusedAtLoad, e);
        }
        try
        {
            lock (violations)
                violations.AddRange(CheckLoadedSettings(model));
            var output = model.Transform(subject.Probe(mlContext));
            var column = output.Schema[subject.OutputColumn];
            using var cursor = output.GetRowCursor([column]);
            var getter = cursor.GetGetter<VBuffer<float>>(column);
            var value = default(VBuffer<float>);
            if (!cursor.MoveNext())
                throw new InvalidOperationException("the prediction produced no row");
            getter(ref value);
            return (ZipMutationResult.Accepted, null);
        }
        catch (Exception e)
        {
            return (ZipMutationResult.RefusedAtFirstUse, e);
        }
        finally
        {
            foreach (var part in Flatten(model))
                (part as IDisposable)?.Dispose();
        }
    }

    /// <summary>A loaded LoadVideoFrames has the application's folder and never a looser limit than the process allows.</summary>
    private IEnumerable<string> CheckLoadedSettings(ITransformer model)
    {
        var limits = VideoDecoding.Limits;
        foreach (var loader in Flatten(model).OfType<VideoFrameLoadingTransformer>())
        {
            var o = loader.GetOptions();
            if (o.VideoFolder != LoadOptions.VideoFolder || o.AllowPathsOutsideVideoFolder)
                yield return $"LoadVideoFrames kept VideoFolder '{o.VideoFolder}' / AllowPathsOutsideVideoFolder {o.AllowPathsOutsideVideoFolder} from the zip";
            if (o.MaxResolution > limits.MaxResolution || o.MaxFrames > limits.MaxFrames || o.MaxFileBytes > limits.MaxFileBytes || o.DecodeTimeout > limits.MaxDecodeTimeout)
                yield return $"LoadVideoFrames kept a limit above the process's: {o.MaxResolution}, {o.MaxFrames}, {o.MaxFileBytes}, {o.DecodeTimeout}";
        }
    }

    private static IEnumerable<ITransformer> Flatten(ITransformer model)
        => model is IEnumerable<ITransformer> chain ? chain.SelectMany(Flatten) : [model];

    /// <summary>A refusal a user can act on: one of <see cref="Refusals"/> with a message, not a null slipping through.</summary>
    private static bool IsClearRefusal(Exception e)
        => Refusals.Any(t => t.IsInstanceOfType(e)) && e is not ArgumentNullException && !string.IsNullOrWhiteSpace(e.Message);

    /// <summary>Every file of the sandbox outside work/, with its size and time.</summary>
    private HashSet<string> Snapshot()
        => Directory.EnumerateFiles(Root, "*", SearchOption.AllDirectories)
            .Where(f => !f.StartsWith(Work + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            .Select(f => $"{f} {new FileInfo(f).Length} {File.GetLastWriteTimeUtc(f).Ticks}")
            .ToHashSet(StringComparer.Ordinal);

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
