// Consume: load a trained model.zip, classify one video, then every video of a folder, and print label + top-3.
// Run: dotnet run --project examples/Consume -c Release -- MODEL.zip VIDEO_OR_FOLDER [MORE...]
// (train one first: bash scripts/run-sample.sh, or dotnet run --project examples/ActionRecognition).
using Consume;
using MLNetVideo.Transforms.Datasets;
using MLNetVideo.Transforms.Decoding;

if (args.Length < 2)
{
    Console.Error.WriteLine("usage: Consume MODEL.zip VIDEO_OR_FOLDER [MORE...]");
    return 1;
}
if (!File.Exists(args[0]))
{
    Console.Error.WriteLine($"error: model '{Path.GetFullPath(args[0])}' does not exist.");
    return 2;
}

using var model = new VideoClassifier.Model(args[0]);
Console.WriteLine($"Loaded {Path.GetFullPath(args[0])}: classes {string.Join(", ", model.ClassNames)}");
int count = 0, failed = 0;
foreach (var target in args.Skip(1))
{
    var files = File.Exists(target)
        ? [Path.GetFullPath(target)]
        : Directory.Exists(target)
            ? Directory.EnumerateFiles(target, "*", SearchOption.AllDirectories)
                .Where(f => VideoDataset.DefaultExtensions.Contains(Path.GetExtension(f).ToLowerInvariant())).Order(StringComparer.Ordinal).ToArray()
            : throw new FileNotFoundException($"'{target}' is neither a video file nor a folder.");
    Console.WriteLine(File.Exists(target) ? $"One video: {target}" : $"Folder {target}: {files.Length} videos");
    foreach (var file in files)
    {
        VideoClassifier.ModelOutput prediction;
        try
        {
            prediction = model.Predict(file);
        }
        catch (Exception e) when (DecodingFailure(e) is { } decoding)
        {
            // One unreadable video (truncated, not a video, missing) is reported with its path and the reason; the rest go on.
            Console.Error.WriteLine($"  {file}: could not decode ({decoding.Failure}): {decoding.Reason}");
            failed++;
            continue;
        }
        var top = string.Join(", ", model.TopK(prediction, 3).Select(p => $"{p.Label} {p.Score:P0}"));
        Console.WriteLine($"  {Path.GetFileName(Path.GetDirectoryName(file))}/{Path.GetFileName(file),-10} predicted: {prediction.PredictedLabel,-8} top-3: {top}");
        count++;
    }
}
Console.WriteLine($"Classified {count} videos." + (failed > 0 ? $" {failed} could not be decoded (listed above)." : ""));
return failed == 0 ? 0 : 2;

static VideoDecodingException? DecodingFailure(Exception e)
{
    for (var current = e; current is not null; current = current.InnerException)
        if (current is VideoDecodingException decoding) return decoding;
    return null;
}
