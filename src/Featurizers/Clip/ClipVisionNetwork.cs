using MLNetVideo.Runtime;
using MLNetVideo.Featurizers.Clip.Modules;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace MLNetVideo.Featurizers.Clip;

/// <summary>
/// CLIP image encoder (OpenAI <c>VisionTransformer</c>): maps normalised images [N, 3, S, S] to embeddings [N, OutputDim].
/// State-dict names are the OpenAI ones without the <c>visual.</c> prefix: <c>conv1.weight</c>, <c>class_embedding</c>,
/// <c>positional_embedding</c>, <c>ln_pre.*</c>, <c>transformer.resblocks.{i}.{attn.in_proj_weight, attn.in_proj_bias,
/// attn.out_proj.*, ln_1.*, mlp.c_fc.*, mlp.c_proj.*, ln_2.*}</c>, <c>ln_post.*</c>, <c>proj</c>. <see cref="ClipWeights"/>
/// maps the OpenAI and Hugging Face (<c>vision_model.*</c>) checkpoints onto these names.
/// </summary>
internal sealed class ClipVisionNetwork : Module<Tensor, Tensor>
{
    private readonly Conv2d conv1;
    private readonly Parameter class_embedding;
    private readonly Parameter positional_embedding;
    private readonly LayerNorm ln_pre;
    private readonly ClipTransformer transformer;
    private readonly LayerNorm ln_post;
    private readonly Parameter proj;

    /// <summary>Builds the tower on the CPU with CLIP's initialisation (normal, std W^-0.5 for the embeddings and proj).</summary>
    /// <param name="spec">The architecture.</param>
    public ClipVisionNetwork(ClipVisionSpec spec) : base(nameof(ClipVisionNetwork))
    {
        ArgumentNullException.ThrowIfNull(spec);
        spec.Validate();
        Spec = spec;
        double scale = Math.Pow(spec.Width, -0.5);
        conv1 = Conv2d(3, spec.Width, spec.PatchSize, stride: spec.PatchSize, bias: false);
        class_embedding = Parameter(randn(spec.Width) * scale);
        positional_embedding = Parameter(randn(spec.Tokens, spec.Width) * scale);
        ln_pre = LayerNorm(spec.Width, eps: 1e-5);
        transformer = new ClipTransformer(spec);
        ln_post = LayerNorm(spec.Width, eps: 1e-5);
        proj = Parameter(randn(spec.Width, spec.OutputDim) * scale);
        RegisterComponents();
    }

    /// <summary>The architecture.</summary>
    public ClipVisionSpec Spec { get; }

    /// <summary>Image embeddings: <c>ln_post(CLS) @ proj</c>.</summary>
    /// <param name="images">Normalised images [N, 3, S, S].</param>
    /// <returns>[N, OutputDim].</returns>
    public override Tensor forward(Tensor images)
    {
        using var scope = NewDisposeScope();
        var x = Embed(images);
        for (int i = 0; i < Spec.Layers; i++)
            x = transformer.resblocks[i].call(x);
        return matmul(ln_post.call(x.select(1, 0)), proj).MoveToOuterDisposeScope();
    }

    /// <summary>Unpooled token features of the last <paramref name="lastLayers"/> blocks (before <c>ln_post</c>), and their
    /// attention q and k when asked (unscaled, heads concatenated along W).</summary>
    /// <param name="images">Normalised images [N, 3, S, S].</param>
    /// <param name="lastLayers">M, the number of last blocks to return (1..Layers).</param>
    /// <param name="withQk">Whether to return q and k.</param>
    /// <returns>Block outputs [M, N, tokens, W] (oldest block first), and q, k [M, N, tokens, W] or null.</returns>
    public (Tensor Features, Tensor? Q, Tensor? K) ExtractFeatures(Tensor images, int lastLayers, bool withQk)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(lastLayers, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(lastLayers, Spec.Layers);
        using var scope = NewDisposeScope();
        var x = Embed(images);
        var outs = new List<Tensor>();
        var qs = new List<Tensor>();
        var ks = new List<Tensor>();
        int first = Spec.Layers - lastLayers;
        for (int i = 0; i < Spec.Layers; i++)
        {
            bool keep = i >= first;
            x = transformer.resblocks[i].Forward(x, out var q, out var k, keep && withQk);
            if (!keep) continue;
            outs.Add(x);
            if (withQk) { qs.Add(q!); ks.Add(k!); }
        }
        var features = stack(outs).MoveToOuterDisposeScope();
        return withQk
            ? (features, stack(qs).MoveToOuterDisposeScope(), stack(ks).MoveToOuterDisposeScope())
            : (features, null, null);
    }

    private Tensor Embed(Tensor images)
    {
        if (images.ndim != 4 || images.shape[1] != 3 || images.shape[2] != Spec.ImageSize || images.shape[3] != Spec.ImageSize)
            throw new ArgumentException($"CLIP {Spec.Variant} takes images [N, 3, {Spec.ImageSize}, {Spec.ImageSize}]; got [{string.Join(", ", images.shape)}].", nameof(images));
        long n = images.shape[0];
        var x = conv1.call(images).flatten(2).transpose(1, 2);                       // [N, grid², W]
        var cls = class_embedding.view(1, 1, -1).expand(n, 1, Spec.Width);
        x = cat([cls, x], 1).add(positional_embedding, HeldScalars.One);   // held alpha: HeldScalars
        return ln_pre.call(x);
    }

    /// <summary>OpenAI's <c>Transformer</c>: holds <c>resblocks</c>.</summary>
    private sealed class ClipTransformer : Module<Tensor, Tensor>
    {
        public readonly ModuleList<ResidualAttentionBlock> resblocks;

        public ClipTransformer(ClipVisionSpec spec) : base("Transformer")
        {
            resblocks = new ModuleList<ResidualAttentionBlock>();
            for (int i = 0; i < spec.Layers; i++)
                resblocks.Add(new ResidualAttentionBlock(spec.Width, spec.Heads, spec.MlpWidth));
            RegisterComponents();
        }

        public override Tensor forward(Tensor x)
        {
            foreach (var block in resblocks)
                x = block.call(x);
            return x;
        }
    }
}
