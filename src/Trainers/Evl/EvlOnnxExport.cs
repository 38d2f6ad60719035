using MLNetVideo.Onnx;
using static TorchSharp.torch;

namespace MLNetVideo.Trainers.Evl;

/// <summary>Writes an <see cref="EvlNetwork"/> (the EVL decoder on frozen CLIP features, evaluation mode) as an ONNX graph:
/// input <c>clips</c> = the featurizer's column [batch, slices·layers, T, tokens, width], output <c>logits</c>
/// [batch, classes] (see <see cref="VideoOnnxExport"/>).</summary>
/// <remarks>Standard operators only: Gather, Transpose, Reshape, Conv (the depthwise temporal conv), Pad,
/// LayerNormalization, MatMul, Softmax, Einsum (inter-frame attention), ReduceMean, Sigmoid. Together with the CLIP tower
/// exported by <c>ClipOnnxExporter</c> (package MLNetVideo.Featurizers.Onnx), a whole CLIP + EVL classifier runs on ONNX
/// Runtime.</remarks>
internal static class EvlOnnxExport
{
    /// <summary>Exports <paramref name="network"/>; the input shape is fixed by its spec.</summary>
    /// <param name="network">The decoder.</param>
    /// <param name="path">The .onnx file to write.</param>
    public static void Export(EvlNetwork network, string path)
    {
        ArgumentNullException.ThrowIfNull(network);
        Write(network, path, null);
    }

    internal static void Write(EvlNetwork network, string path, VideoOnnxExport.ScoringInput? scoring)
    {
        var s = network.Spec;
        long[] shape = [s.SlicesPerLayer * s.Layers, s.Frames, s.Tokens, s.Width];
        VideoOnnxExport.Write(network, path, "EVL", s, shape, (g, state, clips) => Build(g, s, state, clips), scoring);
    }

    private static void Build(OnnxGraph g, EvlSpec s, Func<string, Tensor> state, string features)
    {
        long t = s.Frames, l = s.Tokens, c = s.Width;
        string LayerNorm(string x, string prefix)
            => g.Node("LayerNormalization", [x, g.Weight(prefix + ".weight", state(prefix + ".weight")), g.Weight(prefix + ".bias", state(prefix + ".bias"))],
                null, ("axis", -1L), ("epsilon", 1e-5f));
        string Slice(long index) => g.Node("Gather", [features, g.Int64Scalar(index)], null, ("axis", 1L));   // [N, T, L, C]

        var batch = g.Slice(g.Node("Shape", [features]), 0, 0, 1);
        var x = g.Node("Expand", [g.Weight("decoder.cls_token.view", state("decoder.cls_token").view(1, 1, c)), g.Concat(0, batch, g.Int64s(1, c))]);
        for (int i = 0; i < s.Layers; i++)
        {
            var f = Slice(i);
            if (s.UseTemporalConv)
            {
                string prefix = $"decoder.temporal_conv.{i}";
                var seq = g.Reshape(g.Transpose(f, 0, 2, 3, 1), -1, c, t);
                var conv = g.Conv(seq, g.Weight(prefix + ".weight", state(prefix + ".weight")), [3], g.Weight(prefix + ".bias", state(prefix + ".bias")),
                    pads: [1, 1], groups: c);
                f = g.Add(f, g.Transpose(g.Reshape(conv, -1, l, c, t), 0, 3, 1, 2));
            }
            if (s.UseTemporalPositionEmbedding)
                f = g.Add(f, g.Weight($"decoder.temporal_pos_embed.{i}.view", state($"decoder.temporal_pos_embed.{i}").view(1, t, 1, c)));
            if (s.UseInterFrameAttention && t > 1)
            {
                var extra = CrossAttention(g, s, state, $"decoder.cross_attention.{i}", Slice(s.Layers + i), Slice(2L * s.Layers + i));
                f = g.Add(f, g.Pad(extra, 0, 0, 1, 0, 0, 0, 0, 0));
            }
            x = DecoderLayer(g, s, state, $"decoder.decoder_layers.{i}", x, g.Reshape(f, -1, t * l, c), LayerNorm);
        }
        var cls = g.Node("Gather", [x, g.Int64Scalar(0)], null, ("axis", 1L));
        g.Linear(LayerNorm(cls, "proj.0"), "proj.2", state, output: VideoOnnxExport.OutputName);
        g.Output(VideoOnnxExport.OutputName, -1, s.NumClasses);
    }

    private static string DecoderLayer(OnnxGraph g, EvlSpec s, Func<string, Tensor> state, string prefix, string x, string y, Func<string, string, string> layerNorm)
    {
        long c = s.Width, heads = s.DecoderHeads, d = c / heads;
        var memory = layerNorm(y, prefix + ".norm3");
        var query = layerNorm(x, prefix + ".norm1");
        string Heads(string v, string projection, long[] perm)
            => g.Transpose(g.Reshape(g.Linear(v, $"{prefix}.attn.{projection}", state), 0, -1, heads, d), perm);
        var qh = Heads(query, "q_proj", [0, 2, 1, 3]);
        var kt = Heads(memory, "k_proj", [0, 2, 3, 1]);
        var vh = Heads(memory, "v_proj", [0, 2, 1, 3]);
        var scores = g.Mul(g.Node("MatMul", [qh, kt]), g.Scalar((float)(1.0 / Math.Sqrt(d))));
        var mixed = g.Node("MatMul", [g.Node("Softmax", [scores], null, ("axis", -1L)), vh]);
        var attended = g.Linear(g.Reshape(g.Transpose(mixed, 0, 2, 1, 3), 0, -1, c), $"{prefix}.attn.out_proj", state);
        x = g.Add(x, attended);
        var hidden = g.Linear(layerNorm(x, prefix + ".norm2"), prefix + ".mlp.fc1", state);
        var gelu = g.Mul(hidden, g.Unary("Sigmoid", g.Mul(hidden, g.Scalar(1.702f))));
        return g.Add(x, g.Linear(gelu, prefix + ".mlp.fc2", state));
    }

    /// <summary>The inter-frame attention of one layer: [N, T, L, C] queries and keys → [N, T, L − 1, C].</summary>
    private static string CrossAttention(OnnxGraph g, EvlSpec s, Func<string, Tensor> state, string prefix, string q, string k)
    {
        long t = s.Frames, l = s.Tokens, c = s.Width, heads = s.BackboneHeads, d = c / heads, grid = s.Grid, patches = grid * grid;
        var index = new long[patches * patches];
        for (long a = 0; a < patches; a++)
            for (long b = 0; b < patches; b++)
                index[a * patches + b] = ((a / grid) - (b / grid) + grid - 1) * (2 * grid - 1) + ((a % grid) - (b % grid) + grid - 1);
        string Half(string queries, string keys, string weight)
        {
            var w = state(weight);
            var unrolled = g.Weight(weight + ".unrolled", w.index_select(0, tensor(index)).view(patches, patches, c));
            var qh = g.Mul(g.Reshape(g.Slice(queries, 2, 1, l), 0, 0, l - 1, heads, d), g.Scalar((float)(1.0 / Math.Sqrt(d))));
            var kh = g.Reshape(g.Slice(keys, 2, 1, l), 0, 0, l - 1, heads, d);
            var scores = g.Node("Einsum", [qh, kh], null, ("equation", "ntqhd,ntkhd->ntqkh"));
            var attention = g.ReduceMean(g.Node("Softmax", [scores], null, ("axis", -2L)), [-1], keepDims: false);   // [N, T', P, P]
            return g.Node("Einsum", [attention, unrolled], null, ("equation", "ntqk,qkc->ntqc"));
        }
        var fromPrevious = Half(g.Slice(q, 1, 1, t), g.Slice(k, 1, 0, t - 1), prefix + ".w1");     // frames 1 … T−1
        var fromNext = Half(g.Slice(q, 1, 0, t - 1), g.Slice(k, 1, 1, t), prefix + ".w2");         // frames 0 … T−2
        return g.Add(g.Pad(fromPrevious, 0, 1, 0, 0, 0, 0, 0, 0), g.Pad(fromNext, 0, 0, 0, 0, 0, 1, 0, 0));
    }
}
