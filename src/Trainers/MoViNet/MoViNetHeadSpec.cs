namespace MLNetVideo.Trainers.MoViNet;

/// <summary>The head: 1×1×1 conv to <paramref name="ProjectChannels"/> + BN + act, global average pool, then the classifier
/// MLP (1×1×1 conv to <paramref name="HiddenChannels"/> with bias + act, dropout, 1×1×1 conv to classes with bias).</summary>
/// <param name="ProjectChannels">Head projection width (480/600/640).</param>
/// <param name="HiddenChannels">Classifier hidden width (2048).</param>
public sealed record MoViNetHeadSpec(int ProjectChannels, int HiddenChannels);
