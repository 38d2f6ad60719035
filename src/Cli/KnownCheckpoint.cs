using MLNetVideo.Trainers;
using MLNetVideo.Transforms.Decoding;

namespace MLNetVideo.Cli;

/// <summary>
/// A published checkpoint that <c>train --weights</c> recognises by its key layout: the architecture it needs and the
/// preprocessing it was trained with, applied unless the command line says otherwise.
/// </summary>
/// <param name="Name">For messages, for example "TSM-ResNet50 (mit-han-lab/temporal-shift-module)".</param>
/// <param name="Models">The CLI model names it can initialise.</param>
/// <param name="Frames">Frames per clip it expects.</param>
/// <param name="Size">Frame side it expects.</param>
/// <param name="Normalization">Pixel normalisation it expects.</param>
/// <param name="Architecture">Sets the trainer options to the checkpoint's architecture (depth, variant, width 1.0, …).</param>
/// <param name="Sampling">Uniform segments (TSN sampling) or dense frames every <paramref name="FrameInterval"/>.</param>
/// <param name="FrameInterval">Stride of dense sampling.</param>
/// <param name="ShortSide">Resize the short side to this before the centre crop (null = to <paramref name="Size"/>).</param>
/// <param name="FixedFrames">Whether another frame count cannot work (AFNet's navigation layers take 2·T channels).</param>
internal sealed record KnownCheckpoint(
    string Name,
    string[] Models,
    int Frames,
    int Size,
    PixelNormalization Normalization,
    Action<VideoTrainerOptionsBase> Architecture,
    SamplingMode Sampling = SamplingMode.Uniform,
    int FrameInterval = 1,
    int? ShortSide = null,
    bool FixedFrames = false);
