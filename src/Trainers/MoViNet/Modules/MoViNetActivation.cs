namespace MLNetVideo.Trainers.MoViNet.Modules;

/// <summary>Activation of a MoViNet unit.</summary>
internal enum MoViNetActivation
{
    None,
    Swish,
    HardSwish,
    Sigmoid,
    HardSigmoid,

    /// <summary>PyTorch's hard sigmoid relu6(x + 3)/6: what stream models of content version 1 gated with.</summary>
    TorchHardSigmoid,
}
