namespace MLNetVideo.Trainers.MoViNet;

/// <summary>Base (non-causal) or stream (causal, constant-memory streaming) network.</summary>
public enum MoViNetMode
{
    /// <summary>Ordinary 3-D depthwise convs with symmetric 'same' time padding, 3-D global-average SE, swish/sigmoid.
    /// Needs the whole clip; cannot stream.</summary>
    Base = 0,

    /// <summary>Causal (2+1)D depthwise convs (front-only time padding, or stream buffers), CausalSE on cumulative
    /// global average pooling, cumulative head pooling, hard-swish in the backbone, Keras' hard sigmoid in the SE gates and
    /// swish in the classifier (as the released stream checkpoints). Consumes any number of frames at a time with constant
    /// memory (<see cref="MoViNetStream"/>).</summary>
    Stream = 1,
}
