using TorchSharp;
using MLNetVideo.Runtime;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace MLNetVideo.Trainers.MoViNet;

/// <summary>
/// The paper's temporal ensemble: two MoViNets (<c>model_0</c>, <c>model_1</c>) at half the frame rate, offset by one frame
/// (model_0 sees frames 0, 2, 4, …; model_1 sees 1, 3, 5, …), logits averaged. Clips need at least 2 frames.
/// </summary>
internal sealed class MoViNetEnsembleNetwork : Module<Tensor, Tensor>, IMoViNetStreamSource
{
    private readonly MoViNetNetwork model_0;
    private readonly MoViNetNetwork model_1;

    /// <summary>Builds both members from one spec.</summary>
    /// <param name="spec">The architecture of each member.</param>
    public MoViNetEnsembleNetwork(MoViNetSpec spec) : base(nameof(MoViNetEnsembleNetwork))
    {
        ArgumentNullException.ThrowIfNull(spec);
        model_0 = new MoViNetNetwork(spec);
        model_1 = new MoViNetNetwork(spec);
        Spec = spec;
        RegisterComponents();
    }

    /// <summary>The architecture of each member.</summary>
    public MoViNetSpec Spec { get; }

    /// <summary>The two members (even frames, odd frames).</summary>
    public IReadOnlyList<MoViNetNetwork> Members => [model_0, model_1];

    /// <summary>Averaged logits of the two members.</summary>
    /// <param name="clips">[N, 3, T, H, W], T ≥ 2.</param>
    /// <returns>[N, classes].</returns>
    public override Tensor forward(Tensor clips)
    {
        if (clips.dim() != 5 || clips.shape[2] < 2)
            throw new ArgumentException($"The MoViNet temporal ensemble needs clips [N, 3, T, H, W] with T >= 2; got [{string.Join(", ", clips.shape)}].", nameof(clips));
        using var scope = NewDisposeScope();
        long t = clips.shape[2];
        var even = model_0.call(clips.slice(2, 0, t, 2));
        var odd = model_1.call(clips.slice(2, 1, t, 2));
        using var two = 2.ToScalar();   // held, as the alpha: HeldScalars says why
        return even.add(odd, HeldScalars.One).div(two).MoveToOuterDisposeScope();
    }

    /// <summary>Opens a streaming session that feeds even frames to <c>model_0</c> and odd frames to <c>model_1</c> and
    /// averages their running logits, its state on <paramref name="device"/> (the networks' device). Call <c>eval()</c> first.</summary>
    /// <param name="device">The networks' device.</param>
    /// <returns>The session.</returns>
    public MoViNetStream CreateStream(Device device) => new(Members, device);

    /// <summary>Learnable parameters of both members.</summary>
    /// <returns>The count.</returns>
    public long ParameterCount() => parameters().Sum(p => p.numel());
}
