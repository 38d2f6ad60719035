using MLNetVideo.Runtime;
using MLNetVideo.Trainers.Evl.Modules;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace MLNetVideo.Trainers.Evl;

/// <summary>
/// The trainable part of EVL (official <c>EVLTransformer</c> without its frozen backbone): maps CLIP features
/// [N, k·M, T, tokens, W] (k = 3: block outputs, q, k; or k = 1) to class logits [N, classes]. State-dict names follow the
/// released checkpoints without the DDP prefix: <c>decoder.cls_token</c>, <c>decoder.decoder_layers.{i}.{attn.{q,k,v,out}_proj,
/// mlp.fc1, mlp.fc2, norm1, norm2, norm3}</c>, <c>decoder.temporal_conv.{i}</c>, <c>decoder.temporal_pos_embed.{i}</c>,
/// <c>decoder.cross_attention.{i}.{w1,w2}</c>, <c>proj.0</c> (LayerNorm), <c>proj.2</c> (Linear).
/// </summary>
internal sealed class EvlNetwork : Module<Tensor, Tensor>
{
    private readonly EvlDecoder decoder;
    private readonly Sequential proj;

    /// <summary>Builds the decoder and head on the CPU with EVL's initialisation.</summary>
    /// <param name="spec">The architecture.</param>
    public EvlNetwork(EvlSpec spec) : base(nameof(EvlNetwork))
    {
        ArgumentNullException.ThrowIfNull(spec);
        spec.Validate();
        Spec = spec;
        decoder = new EvlDecoder(spec);
        proj = Sequential(LayerNorm(spec.Width), Dropout(spec.ClassifierDropout), Linear(spec.Width, spec.NumClasses));
        RegisterComponents();
    }

    /// <summary>The architecture.</summary>
    public EvlSpec Spec { get; }

    /// <summary>Logits from features.</summary>
    /// <param name="features">[N, k·M, T, tokens, W].</param>
    /// <returns>[N, classes].</returns>
    public override Tensor forward(Tensor features)
    {
        using var scope = NewDisposeScope();
        var x = decoder.call(features);
        return proj.call(x.select(1, 0)).MoveToOuterDisposeScope();
    }

    /// <summary>Official <c>EVLDecoder</c>.</summary>
    private sealed class EvlDecoder : Module<Tensor, Tensor>
    {
        private readonly ModuleList<EvlDecoderLayer> decoder_layers;
        private readonly ModuleList<Conv1d> temporal_conv;
        private readonly ParameterList temporal_pos_embed;
        private readonly ModuleList<TemporalCrossAttention> cross_attention;
        private readonly Parameter cls_token;
        private readonly EvlSpec _spec;

        public EvlDecoder(EvlSpec spec) : base("EVLDecoder")
        {
            _spec = spec;
            long c = spec.Width;
            decoder_layers = new ModuleList<EvlDecoderLayer>();
            temporal_conv = new ModuleList<Conv1d>();
            temporal_pos_embed = new ParameterList();
            cross_attention = new ModuleList<TemporalCrossAttention>();
            for (int i = 0; i < spec.Layers; i++)
            {
                decoder_layers.Add(new EvlDecoderLayer(c, spec.DecoderHeads, (long)(spec.MlpFactor * c), spec.MlpDropout));
                if (spec.UseTemporalConv)
                    temporal_conv.Add(Conv1d(c, c, 3, padding: 1, groups: c));
                if (spec.UseTemporalPositionEmbedding)
                    temporal_pos_embed.Add(new Parameter(zeros(spec.Frames, c)));
                if (spec.UseInterFrameAttention)
                    cross_attention.Add(new TemporalCrossAttention(spec.Grid, c, spec.BackboneHeads));
            }
            cls_token = Parameter(zeros(c));
            RegisterComponents();
        }

        public override Tensor forward(Tensor features)
        {
            var s = _spec;
            if (features.ndim != 5 || features.shape[1] != s.SlicesPerLayer * s.Layers || features.shape[2] != s.Frames
                || features.shape[3] != s.Tokens || features.shape[4] != s.Width)
                throw new ArgumentException(
                    $"EVL expects features [N, {s.SlicesPerLayer * s.Layers}, {s.Frames}, {s.Tokens}, {s.Width}]; got [{string.Join(", ", features.shape)}].", nameof(features));
            using var scope = NewDisposeScope();
            long n = features.shape[0], t = s.Frames, l = s.Tokens, c = s.Width;
            var x = cls_token.view(1, 1, c).expand(n, 1, c);
            for (int i = 0; i < s.Layers; i++)
            {
                var f = features.select(1, i);                                                   // [N, T, L, C]
                if (s.UseTemporalConv)
                {
                    var seq = f.permute(0, 2, 3, 1).reshape(n * l, c, t);
                    f = f.add(temporal_conv[i].call(seq).view(n, l, c, t).permute(0, 3, 1, 2), HeldScalars.One);   // held alpha: HeldScalars
                }
                if (s.UseTemporalPositionEmbedding)
                    f = f.add(((Tensor)temporal_pos_embed[i]).view(1, t, 1, c), HeldScalars.One);
                if (s.UseInterFrameAttention)
                {
                    var q = features.select(1, s.Layers + i);
                    var k = features.select(1, 2 * s.Layers + i);
                    var extra = cross_attention[i].call(q, k);                                    // [N, T, L-1, C]
                    f = f.add(cat([zeros(n, t, 1, c, dtype: extra.dtype, device: extra.device), extra], 2), HeldScalars.One);
                }
                x = decoder_layers[i].call(x, f.reshape(n, t * l, c));
            }
            return x.MoveToOuterDisposeScope();
        }
    }
}
