using MLNetVideo.Runtime;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace MLNetVideo.Trainers.MoViNet.Modules;

/// <summary>
/// One MoViNet layer <c>bX_lY</c> (Atze00 <c>BasicBneck</c>): <c>expand</c> (1×1×1 + BN + act) → <c>deep</c> (depthwise
/// k_t×k×k, or spatial + causal temporal in stream mode) → <c>se</c> → <c>project</c> (1×1×1 + BN) ; output
/// <c>skip + alpha · F(x)</c> with the ReZero scalar <c>alpha</c> (a 0-d tensor, as the official <c>rezero/scale</c>)
/// initialised to 0; <c>res</c> = [pool,] 1×1×1 conv + BN when the width or resolution changes.
/// </summary>
internal sealed class BottleneckBlock : Module<Tensor, Tensor>
{
    private readonly ConvUnit expand;
    private readonly ConvUnit deep;
    private readonly SqueezeExcitation se;
    private readonly ConvUnit project;
    private readonly Sequential? res;
    private readonly Parameter alpha;

    public BottleneckBlock(MoViNetBlockSpec block, MoViNetMode mode, double eps, double momentum, bool version1Activations = false) : base(nameof(BottleneckBlock))
    {
        bool causal = mode == MoViNetMode.Stream;
        var act = causal ? MoViNetActivation.HardSwish : MoViNetActivation.Swish;
        // The released stream models gate with Keras' hard sigmoid (see MoViNetActivation.HardSigmoid).
        var gate = !causal ? MoViNetActivation.Sigmoid : version1Activations ? MoViNetActivation.TorchHardSigmoid : MoViNetActivation.HardSigmoid;
        string name = block.Name;
        expand = new ConvUnit(block.InChannels, block.ExpandChannels, Triple.One, Triple.One, false, false, true, act, causal, name, eps, momentum);
        deep = new ConvUnit(block.ExpandChannels, block.ExpandChannels, block.Kernel, block.Stride, true, false, true, act, causal, name, eps, momentum);
        se = new SqueezeExcitation(block.ExpandChannels, block.SeHidden(mode), causal, act, gate, name, eps, momentum);
        project = new ConvUnit(block.ExpandChannels, block.OutChannels, Triple.One, Triple.One, false, false, true, MoViNetActivation.None, causal, name, eps, momentum);
        if (block.ProjectedSkip)
        {
            var projection = new ConvUnit(block.InChannels, block.OutChannels, Triple.One, Triple.One, false, false, true, MoViNetActivation.None, causal, name, eps, momentum);
            res = block.Stride.H != 1 || block.Stride.W != 1
                ? Sequential(new SkipPool(new Triple(1, 3, 3), block.Stride), projection)
                : Sequential(projection);
        }
        alpha = Parameter(zeros(Array.Empty<long>()));
        _spec = block;
        RegisterComponents();
    }

    // Expression-bodied accessors: an auto-property holding a module would be registered a second time under its
    // compiler-generated backing field (<Deep>k__BackingField), duplicating state-dict keys.
    private readonly MoViNetBlockSpec _spec;

    public MoViNetBlockSpec Spec => _spec;

    /// <summary>The depthwise unit (for state inspection).</summary>
    internal ConvUnit Deep => deep;

    /// <summary>The SE unit (for state inspection).</summary>
    internal SqueezeExcitation Se => se;

    public override Tensor forward(Tensor x) => Forward(x, null);

    public Tensor Forward(Tensor x, MoViNetStreamState? state)
    {
        var skip = res is null ? x : res.call(x);
        var y = expand.Forward(x, state);
        y = deep.Forward(y, state);
        y = se.Forward(y, state);
        y = project.Forward(y, state);
        return skip.add(alpha * y, HeldScalars.One);   // not skip + …: HeldScalars says why
    }
}
