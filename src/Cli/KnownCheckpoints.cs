using MLNetVideo.Trainers.AFNet;
using MLNetVideo.Trainers.Evl;
using MLNetVideo.Trainers.MoViNet;
using MLNetVideo.Trainers.S3D;
using MLNetVideo.Trainers.Tsm;
using MLNetVideo.Transforms.Decoding;
using MLNetVideo.Weights;

namespace MLNetVideo.Cli;

/// <summary>Identifies the official checkpoints of README's "Fine-tuning from pretrained weights" table from their keys.</summary>
internal static class KnownCheckpoints
{
    /// <summary>The known checkpoint <paramref name="path"/> is, or null when its keys match none of them (it may still be a
    /// checkpoint in this library's own names, which the trainer imports as it is).</summary>
    /// <exception cref="CliException">The file cannot be read as weights.</exception>
    public static KnownCheckpoint? Identify(string path)
    {
        var keys = ReadShapes(path);
        long[]? Shape(string suffix) => keys.FirstOrDefault(k => k.Key == suffix || k.Key.EndsWith("." + suffix, StringComparison.Ordinal)).Value;
        bool Has(string suffix) => Shape(suffix) is not null;

        if (S3DWeights.Official.Matches(keys.Keys) && !keys.Keys.Any(k => k.Contains("gate", StringComparison.Ordinal)))
            return new("S3D Kinetics-400 (kylemin/S3D)", ["s3d"], 64, 224, PixelNormalization.MinusOneToOne,
                o => ((S3DTrainer.Options)o).WidthMultiplier = 1.0);
        foreach (var mode in new[] { MoViNetMode.Base, MoViNetMode.Stream })
        {
            if (!MoViNetWeights.Atze00(mode).Matches(keys.Keys))
                continue;
            int blocks = keys.Keys.Where(k => k.StartsWith("blocks.", StringComparison.Ordinal)).Select(k => k.Split('.')[1]).Distinct().Count();
            var variant = blocks switch
            {
                15 => MoViNetVariant.A0,
                24 => MoViNetVariant.A1,
                26 => MoViNetVariant.A2,
                _ => throw new CliException($"--weights: '{path}' is a MoViNet checkpoint with {blocks} blocks; A0 (15), A1 (24) and A2 (26) are supported."),
            };
            return new($"MoViNet-{variant} {mode.ToString().ToLowerInvariant()} Kinetics-600 (Atze00/MoViNet-pytorch)", ["movinet-a0"], 50,
                variant == MoViNetVariant.A2 ? 224 : 172, PixelNormalization.ZeroToOne, o =>
                {
                    var m = (MoViNetTrainer.Options)o;
                    (m.Variant, m.Mode, m.WidthMultiplier, m.ClassifierHiddenChannels) = (variant, mode, 1.0, 2048);
                });
        }
        if (AFNetWeights.Official.Matches(keys.Keys) && Shape("layer1.list_gen.0.conv_gs.weight") is { } navigation)
            return new("AF-ResNet-50 Something-Something V1 (BeSpontaneous/AFNet-pytorch)", ["afnet"], (int)(navigation[0] / 2), 224, PixelNormalization.ImageNet,
                o =>
                {
                    var a = (AFNetTrainer.Options)o;
                    (a.Depth, a.WidthMultiplier) = (AFNetDepth.ResNet50, 1.0);
                },
                ShortSide: 256, FixedFrames: true);
        if (TsmWeights.Official.Matches(keys.Keys) || (Has("layer1.0.conv1.weight") && Has("fc.weight") && !Has("layer1.0.conv1.net.weight")))
        {
            var depth = Has("layer1.0.conv3.weight") ? TsmDepth.ResNet50 : Has("layer1.2.conv1.weight") || Has("layer1.2.conv1.net.weight") ? TsmDepth.ResNet34 : TsmDepth.ResNet18;
            if (Has("layer3.6.conv1.weight") || Has("layer3.6.conv1.net.weight"))
                throw new CliException($"--weights: '{path}' is a ResNet deeper than 50 layers; TSM here supports ResNet-18, -34 and -50.");
            string name = TsmWeights.Official.Matches(keys.Keys) ? $"TSM-{depth} (mit-han-lab/temporal-shift-module)" : $"torchvision ImageNet {depth}";
            return new(name, ["tsm"], 8, 224, PixelNormalization.ImageNet, o =>
            {
                var t = (TsmTrainer.Options)o;
                (t.Depth, t.WidthMultiplier) = (depth, 1.0);
            }, ShortSide: 256);
        }
        if (EvlWeights.Official.Matches(keys.Keys) && Shape("decoder.temporal_pos_embed.0") is { } positions)
            return new("EVL ViT-B/16 decoder (OpenGVLab/efficient-video-recognition)", ["evl"], (int)positions[0], 224, PixelNormalization.ZeroToOne,
                _ => { }, SamplingMode.Dense, FrameInterval: 16, FixedFrames: true);
        return null;
    }

    private static Dictionary<string, long[]> ReadShapes(string path)
    {
        try
        {
            IEnumerable<KeyValuePair<string, TensorData>> tensors;
            if (!WeightsFile.IsPyTorch(path))
            {
                tensors = SafeTensorsReader.ReadAll(path);
            }
            else
            {
                var checkpoint = PyTorchCheckpointReader.Read(path);
                var found = new List<KeyValuePair<string, TensorData>>();
                foreach (var entry in new string?[] { null, "state_dict", "model" })
                {
                    try
                    {
                        found.AddRange(checkpoint.GetStateDict(entry));
                    }
                    catch (InvalidDataException)
                    {
                        // not this entry
                    }
                }
                tensors = found;
            }
            var shapes = new Dictionary<string, long[]>(StringComparer.Ordinal);
            foreach (var (key, value) in tensors) shapes.TryAdd(key, [.. value.Shape]);
            return shapes;
        }
        catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException or NotSupportedException)
        {
            throw new CliException($"--weights: '{path}' cannot be read as weights (safetensors, PyTorch zip, legacy torch.save or TorchScript): {e.Message}", e);
        }
    }
}
