using MLNetVideo.Trainers.AFNet;
using MLNetVideo.Trainers.Evl;
using MLNetVideo.Trainers.MoViNet;
using MLNetVideo.Trainers.S3D;
using MLNetVideo.Trainers.Tsm;
using static TorchSharp.torch;

namespace MLNetVideo.Trainers;

/// <summary>
/// Exports a trained video classifier (S3D/S3D-G, TSM with or without clustering, AFNet, MoViNet, EVL) as one ONNX
/// scoring graph that needs neither libtorch nor MLNetVideo: its input is the clip column as the transformer reads it
/// (named after the column, [batch, views, view dims] in the column's layout) and its outputs are the averaged
/// probabilities (named after the score column, [batch, classes]) and the per-view <c>logits</c>. The graph runs through
/// <c>mlContext.Transforms.ApplyOnnxModel</c> or any ONNX Runtime.
/// </summary>
public static class VideoClassifierOnnx
{
    /// <summary>Whether the transformer's network can be exported (all but MoViNets loaded from version-1 zips).</summary>
    /// <param name="transformer">A trained classifier.</param>
    /// <returns>True when <see cref="ExportScoringGraph"/> works for it.</returns>
    public static bool CanExport<TSpec>(VideoClassifierTransformer<TSpec> transformer)
        where TSpec : class
    {
        ArgumentNullException.ThrowIfNull(transformer);
        return Supports(transformer.Network);
    }

    /// <summary>Writes the scoring graph of <paramref name="transformer"/> to <paramref name="path"/>.</summary>
    /// <param name="transformer">A trained classifier.</param>
    /// <param name="path">The .onnx file to write (replaced if present).</param>
    /// <exception cref="NotSupportedException">The network cannot be exported (see <see cref="CanExport"/>).</exception>
    public static void ExportScoringGraph<TSpec>(VideoClassifierTransformer<TSpec> transformer, string path)
        where TSpec : class
    {
        ArgumentNullException.ThrowIfNull(transformer);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        Export(transformer.Network, transformer.Info, path);
    }

    /// <summary>Writes the network of <paramref name="transformer"/> alone to <paramref name="path"/>, for the clip geometry it
    /// trained on: input <c>clips</c> [batch, one view] in the network's layout (<see cref="VideoClassifierInfo.NetworkLayout"/>;
    /// EVL: the CLIP feature column's shape), output <c>logits</c> [batch, classes]. For a graph that reads the clip column
    /// and writes the averaged probabilities, use <see cref="ExportScoringGraph"/>; for a MoViNet stream model's step with
    /// explicit state, <see cref="MoViNet.MoViNetOnnxExport.ExportStreamStep(VideoClassifierTransformer{MoViNet.MoViNetSpec}, string, int)"/>.</summary>
    /// <param name="transformer">A trained classifier.</param>
    /// <param name="path">The .onnx file to write (replaced if present).</param>
    /// <exception cref="NotSupportedException">The network cannot be exported (see <see cref="CanExport"/>).</exception>
    public static void ExportNetworkGraph<TSpec>(VideoClassifierTransformer<TSpec> transformer, string path)
        where TSpec : class
    {
        ArgumentNullException.ThrowIfNull(transformer);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        Write(transformer.Network, transformer.Info.Clip, path, null);
    }

    internal static bool Supports(nn.Module network)
        => network is S3DNetwork or TsmNetwork or AFNetNetwork or EvlNetwork
            // version-1 zips' legacy stream activations are not exported
            || network is MoViNetNetwork { Spec.Version1Activations: false }
            || network is MoViNetEnsembleNetwork { Spec.Version1Activations: false };

    /// <summary>The scoring graph as bytes (written through a temporary file).</summary>
    internal static byte[] ExportBytes(nn.Module network, VideoClassifierInfo info)
    {
        string temp = Path.Combine(Path.GetTempPath(), $"mlnetvideo-scoring-{Guid.NewGuid():N}.onnx");
        try
        {
            Export(network, info, temp);
            return File.ReadAllBytes(temp);
        }
        finally
        {
            File.Delete(temp);
        }
    }

    internal static void Export(nn.Module network, VideoClassifierInfo info, string path)
    {
        var clip = info.Clip;
        var scoring = new VideoOnnxExport.ScoringInput(info.ClipColumnName, info.ScoreColumnName, clip.Views, clip.ViewDimensions(),
            info.NetworkLayout != clip.Layout, info.NumClasses);
        Write(network, clip, path, scoring);
    }

    /// <summary>The family's exporter for <paramref name="network"/>: the scoring graph, or with <paramref name="scoring"/> null
    /// the network alone.</summary>
    private static void Write(nn.Module network, ClipGeometry clip, string path, VideoOnnxExport.ScoringInput? scoring)
    {
        // The transformer keeps its network on its device; the exporters read the weights on the CPU.
        switch (network)
        {
            case S3DNetwork s3d:
                S3DOnnxExport.Write(s3d, path, clip.Frames, clip.Height, clip.Width, scoring);
                break;
            case TsmNetwork tsm:
                TsmOnnxExport.Write(tsm, path, clip.Frames, clip.Height, clip.Width, scoring);
                break;
            case AFNetNetwork afnet:
                AFNetOnnxExport.Write(afnet, path, clip.Height, clip.Width, scoring);
                break;
            case MoViNetNetwork movinet:
                MoViNetOnnxExport.Write(movinet, path, clip.Frames, clip.Height, clip.Width, scoring);
                break;
            case MoViNetEnsembleNetwork ensemble:
                MoViNetOnnxExport.Write(ensemble, path, clip.Frames, clip.Height, clip.Width, scoring);
                break;
            case EvlNetwork evl:
                EvlOnnxExport.Write(evl, path, scoring);
                break;
            default:
                throw new NotSupportedException($"The network {network.GetType().Name} has no ONNX exporter.");
        }
    }
}
