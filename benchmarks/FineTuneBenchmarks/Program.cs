// Fine-tuning vs scratch on synthetic tasks (issue 17, item 5; the task is tests/.../FineTuningTask.cs, shared with
// FineTuningTests). A tiny TSM (ResNet-18 ×0.125, 4 frames of 32²) is
// pre-trained on drifting gratings of period 8 at 8 orientations, saved as the TSM reference releases its checkpoints
// (legacy torch.save, module.base_model. keys, new_fc), then trained on another task (period 6, 4 orientations between
// the pre-training ones, 16 clips) from scratch and through InitialWeights, with the same options and steps; accuracy
// on 64 held-out clips, mean over seeds. Usage: FineTuneBenchmarks [output.md] [--seeds N]
using System.Globalization;
using System.Text;
using Microsoft.ML;
using MLNetVideo;
using MLNetVideo.Tests.Trainers.Common;
using MLNetVideo.Trainers.Tsm;

CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
string output = args.FirstOrDefault(a => !a.StartsWith("--", StringComparison.Ordinal)) ?? "out/finetune-benchmarks.md";
int seeds = args.SkipWhile(a => a != "--seeds").Skip(1).Select(int.Parse).FirstOrDefault(5);
var variants = new (string Name, bool Pretrained, Action<TsmTrainer.Options> Configure)[]
{
    ("scratch", false, _ => { }),
    ("fine-tuned (InitialWeights)", true, _ => { }),
    ("fine-tuned, BackboneLearningRateScale = 0.1", true, o => o.BackboneLearningRateScale = 0.1),
    ("fine-tuned, FreezeBackbone (head only)", true, o => o.FreezeBackbone = true),
};
int[] epochs = [1, 3];
var accuracy = new Dictionary<(string, int), List<double>>();
var pretrainAccuracy = new List<double>();
string folder = Path.Combine(Path.GetTempPath(), $"mlnetvideo-finetune-{Environment.ProcessId}");
Directory.CreateDirectory(folder);
try
{
    for (int seed = 1; seed <= seeds; seed++)
    {
        var mlContext = new MLContext(seed);
        string checkpoint = Path.Combine(folder, $"pretrained-{seed}.pth");
        pretrainAccuracy.Add(FineTuningTask.PretrainAndSave(mlContext, checkpoint, seed, dataSeed: seed, heldOutSeed: 1000 + seed));
        var train = FineTuningTask.Gratings(mlContext, 16, 2000 + seed, FineTuningTask.TargetAngles, period: 6);
        var test = FineTuningTask.Gratings(mlContext, 64, 3000 + seed, FineTuningTask.TargetAngles, period: 6);
        foreach (int e in epochs)
        {
            foreach (var (name, usesWeights, configure) in variants)
            {
                var options = FineTuningTask.Options(e, 4, seed, usesWeights ? checkpoint : null);
                configure(options);
                using var model = mlContext.MulticlassClassification.Trainers.Tsm(options).Fit(train);
                double a = mlContext.MulticlassClassification.Evaluate(model.Transform(test)).MicroAccuracy;
                (accuracy.TryGetValue((name, e), out var list) ? list : accuracy[(name, e)] = []).Add(a);
                Console.WriteLine($"seed {seed}, {e} epoch(s), {name}: {a:P1}");
            }
        }
    }
}
finally
{
    Directory.Delete(folder, recursive: true);
}

var text = new StringBuilder();
text.AppendLine($"Pre-training task (period 8, 8 orientations, 128 clips, 4 epochs): held-out accuracy {pretrainAccuracy.Average():P1} (mean of {seeds} seeds).");
text.AppendLine();
text.AppendLine("| downstream training (16 clips, 4 classes) | " + string.Join(" | ", epochs.Select(e => $"{e} epoch{(e > 1 ? "s" : "")} ({4 * e} steps)")) + " |");
text.AppendLine("|---|" + string.Concat(epochs.Select(_ => "---:|")));
foreach (var (name, _, _) in variants)
    text.AppendLine($"| {name} | " + string.Join(" | ", epochs.Select(e => $"{accuracy[(name, e)].Average():P1} (min {accuracy[(name, e)].Min():P1})")) + " |");
Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(output))!);
File.WriteAllText(output, text.ToString());
Console.WriteLine(text);
Console.WriteLine($"wrote {output}");
