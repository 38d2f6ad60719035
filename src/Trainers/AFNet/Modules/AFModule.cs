using MLNetVideo.Runtime;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;
using MLNetVideo.Trainers.Blocks;

namespace MLNetVideo.Trainers.AFNet.Modules;

/// <summary>
/// One AF stage (the reference's <c>AFModule</c>): for a stage of B blocks, B − 1 navigation modules (<c>list_gen</c>; the
/// first on the stage input, the others on the ample features), B − 1 ample blocks (<c>base_module</c>: all frames, width
/// out/α, first block stride 2, last one without its final ReLU), B − 1 focal blocks (<c>refine_module</c>: full width and
/// resolution, grouped convs, selected frames only, last one without its final ReLU), <c>base_transform</c> (1×1 conv + BN
/// out/α → out, when α ≠ 1), nearest upsampling of the ample features to the focal size, channel-attention fusion
/// <c>att_gen</c> (y = ReLU(a·x_ample + (1 − a)·x_focal)) and the fusion block <c>fusion.0</c> (stride 1 or 2, all frames).
/// </summary>
internal sealed class AFModule : Module
{
    private readonly ModuleList<Navigation> list_gen;
    private readonly ModuleList<AFBlock> base_module;
    private readonly ModuleList<AFBlock> refine_module;
    private readonly Sequential? base_transform;
    private readonly DynamicFusion att_gen;
    private readonly ModuleList<AFBlock> fusion;

    public AFModule(AFNetSpec spec, long inChannels, long outChannels, int blocks, long stride) : base(nameof(AFModule))
    {
        var bn = spec.BatchNorm;
        long ample = outChannels / spec.Alpha;
        int pairs = blocks - 1;
        var navigation = new List<Navigation>();
        var ampleBlocks = new List<AFBlock>();
        var focalBlocks = new List<AFBlock>();
        for (int i = 0; i < pairs; i++)
        {
            navigation.Add(new Navigation(i == 0 ? inChannels : ample, spec.Frames, bn));
            // The reference's _make_layer: a single block keeps its final ReLU; otherwise the last block drops it.
            bool lastRelu = pairs == 1 || i < pairs - 1;
            ampleBlocks.Add(Block(spec, i == 0 ? inChannels : ample, ample, i == 0 ? 2 : 1, 1, lastRelu, bn));
            focalBlocks.Add(Block(spec, i == 0 ? inChannels : outChannels, outChannels, 1, spec.PatchGroups, lastRelu, bn));
        }
        list_gen = new ModuleList<Navigation>([.. navigation]);
        base_module = new ModuleList<AFBlock>([.. ampleBlocks]);
        refine_module = new ModuleList<AFBlock>([.. focalBlocks]);
        base_transform = spec.Alpha == 1
            ? null
            : Sequential(Conv2d(ample, outChannels, 1, bias: false), GcSafeBatchNorm.For2d(outChannels, eps: bn.Eps, momentum: bn.Momentum));
        att_gen = new DynamicFusion(outChannels, spec.FusionReduction);
        fusion = new ModuleList<AFBlock>(Block(spec, outChannels, outChannels, stride, 1, true, bn));
        RegisterComponents();
    }

    internal static AFBlock Block(AFNetSpec spec, long inChannels, long outChannels, long stride, long groups, bool lastRelu, TsmBatchNorm bn)
        => spec.UsesBottleneck
            ? AFBottleneck.Create(inChannels, outChannels, stride, groups, lastRelu, bn)
            : new AFBasicBlock(inChannels, outChannels, stride, groups, lastRelu, bn);

    /// <summary>Navigation modules of this stage.</summary>
    internal IReadOnlyList<Navigation> NavigationModules => [.. list_gen];

    /// <summary>Blocks built as ample blocks (<c>base_module</c> and <c>fusion</c>), whose last BN starts at zero.</summary>
    internal IEnumerable<AFBlock> AmpleBlocks => base_module.Concat(fusion);

    /// <summary>The fusion attention (<c>att_gen</c>).</summary>
    internal DynamicFusion Attention => att_gen;

    /// <summary>Focal blocks (<c>refine_module</c>).</summary>
    internal IReadOnlyList<AFBlock> FocalBlocks => [.. refine_module];

    /// <summary>Runs the stage.</summary>
    /// <param name="x">[N·T, C, h, w].</param>
    /// <param name="context">Frames, shift, trace.</param>
    /// <param name="forcedMask">The mask [N, T] imposed on navigation module i (numbered over the whole network), or null to
    /// run the module.</param>
    /// <param name="sample">Turns navigation logits [N, T, 2] into the 0/1 mask [N, T] (straight-through in training).</param>
    /// <param name="skipFrames">True: gather/compute/scatter the focal branch (inference); false: compute every frame and
    /// multiply by the mask (training).</param>
    /// <param name="masks">Receives each navigation module's mask [N, T].</param>
    /// <returns>[N·T, C', h', w'].</returns>
    public Tensor Forward(Tensor x, AFContext context, Func<int, Tensor?> forcedMask, Func<Tensor, Tensor> sample, bool skipFrames, List<Tensor> masks)
    {
        var focal = x;
        var ample = x;
        var profile = context.Profile;
        for (int i = 0; i < base_module.Count; i++)
        {
            int index = masks.Count;
            var mask = forcedMask(index) ?? sample(list_gen[i].Logits(ample, context.Trace));
            masks.Add(mask);
            profile?.Mark("navigation");
            ample = base_module[i].Ample(ample, context);
            profile?.Mark("ample blocks");
            // Frames per clip: only the trace needs them (a host copy per module).
            var perClip = context.Trace is null ? null : mask.sum(1).to(ScalarType.Int64).cpu().data<long>().ToArray();
            if (perClip is not null)
                context.Trace!.Selected(perClip);
            if (skipFrames)
            {
                // After the first block, the focal input is the previous focal block's output, which nothing else holds.
                focal = refine_module[i].FocalSelected(focal, mask.reshape(-1), perClip, context, inputIsScratch: i > 0 && context.LeanFocalSums);
            }
            else
            {
                focal = refine_module[i].FocalMasked(focal, mask.reshape(-1), context);
                profile?.Mark("focal (masked, every frame)");
            }
        }
        if (base_transform is not null)
        {
            foreach (var module in base_transform.children())
            {
                ample = ((Module<Tensor, Tensor>)module).call(ample);
                if (module is Conv2d conv)
                    context.Trace?.Conv(conv, ample);
            }
            profile?.Mark("ample blocks");
        }
        var fused = Fuse(ample, focal, context.Trace);
        profile?.Mark("fusion attention and blend");
        var output = fusion[0].Ample(fused, context);
        profile?.Mark("fusion block");
        return output;
    }

    /// <summary>y = ReLU(a·up(x_ample) + (1 − a)·x_focal) with a = att_gen(GAP(up(x_ample) + x_focal)), up = nearest upsampling
    /// to the focal size. Written to allocate one full-size tensor instead of six: GAP is linear, so it pools the two branches
    /// separately (the GAP of an exact 2× nearest upsampling is the GAP of its input); the blend is one <c>lerp</c>; an exact 2×
    /// upsampling is a broadcast view of the ample tensor rather than a copy. (On an idle CPU this is no faster; on a loaded
    /// machine, where fresh allocations page-fault, the plain formulation's temporaries were seen to cost over 200 ms per clip.)</summary>
    internal Tensor Fuse(Tensor ample, Tensor focal, AFNetExecutionTrace? trace)
    {
        long n = focal.shape[0], c = focal.shape[1], h = focal.shape[2], w = focal.shape[3];
        long ah = ample.shape[2], aw = ample.shape[3];
        Tensor fused;
        if (h == 2 * ah && w == 2 * aw)
        {
            var pooled = functional.adaptive_avg_pool2d(ample, 1).flatten(1).add(functional.adaptive_avg_pool2d(focal, 1).flatten(1), HeldScalars.One);   // held alpha: HeldScalars
            var attention = att_gen.FromPooled(pooled, trace).reshape(n, c, 1, 1, 1, 1);
            fused = focal.reshape(n, c, ah, 2, aw, 2).lerp(ample.reshape(n, c, ah, 1, aw, 1), attention).reshape(n, c, h, w);
        }
        else
        {
            var upsampled = ample.shape[2] == h && ample.shape[3] == w
                ? ample
                : functional.interpolate(ample, size: [h, w], mode: InterpolationMode.Nearest);
            var pooled = functional.adaptive_avg_pool2d(upsampled, 1).flatten(1).add(functional.adaptive_avg_pool2d(focal, 1).flatten(1), HeldScalars.One);
            var attention = att_gen.FromPooled(pooled, trace).reshape(n, c, 1, 1);
            fused = focal.lerp(upsampled, attention);
        }
        return fused.relu_();
    }
}
