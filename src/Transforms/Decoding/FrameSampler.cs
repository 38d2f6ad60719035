namespace MLNetVideo.Transforms.Decoding;

/// <summary>
/// Pure frame-index arithmetic: which frames of a video make up a clip. No I/O; randomness only through the
/// <see cref="Random"/> passed in. Indices are 0-based and always inside [0, frameCount).
/// </summary>
public static class FrameSampler
{
    /// <summary>TSN-style uniform sampling: one frame from each of <paramref name="segments"/> equal segments.</summary>
    /// <param name="frameCount">Frames in the video (positive).</param>
    /// <param name="segments">Number of segments = frames returned (positive).</param>
    /// <param name="random">A seeded generator for a random offset within each segment (training), or null for the
    /// segment centre (inference).</param>
    /// <param name="offsetFraction">Where in each segment to take the frame when <paramref name="random"/> is null
    /// (0.5 = centre; multi-view testing shifts it per view).</param>
    /// <returns>Non-decreasing indices, one per segment.</returns>
    public static int[] Uniform(int frameCount, int segments, Random? random, double offsetFraction = 0.5)
    {
        CheckCount(frameCount);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(segments);
        var result = new int[segments];
        double length = frameCount / (double)segments;
        for (int i = 0; i < segments; i++)
        {
            double offset = random is null ? offsetFraction : random.NextDouble();
            result[i] = Clamp((int)Math.Floor((i + offset) * length), frameCount);
        }
        return result;
    }

    /// <summary>Span in frames covered by a dense clip: (framesPerClip − 1) × frameInterval + 1.</summary>
    /// <param name="framesPerClip">Frames per clip.</param>
    /// <param name="frameInterval">Step between frames.</param>
    /// <returns>The span.</returns>
    public static long DenseSpan(int framesPerClip, int frameInterval) => ((long)framesPerClip - 1) * frameInterval + 1;

    /// <summary>A dense clip starting at <paramref name="start"/>: start, start + s, …; indices past the end follow
    /// <paramref name="outOfBounds"/>.</summary>
    /// <param name="frameCount">Frames in the video.</param>
    /// <param name="start">First index (0 ≤ start &lt; frameCount).</param>
    /// <param name="framesPerClip">Frames per clip.</param>
    /// <param name="frameInterval">Step between frames.</param>
    /// <param name="outOfBounds">Loop or repeat the last frame.</param>
    /// <returns>The clip's indices.</returns>
    public static int[] DenseFrom(int frameCount, int start, int framesPerClip, int frameInterval, OutOfBoundsPolicy outOfBounds)
    {
        CheckCount(frameCount);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(framesPerClip);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(frameInterval);
        if (start < 0 || start >= frameCount)
            throw new ArgumentOutOfRangeException(nameof(start), start, $"start must be in [0, {frameCount}); got {start}.");
        var result = new int[framesPerClip];
        for (int i = 0; i < framesPerClip; i++)
        {
            long index = start + (long)i * frameInterval;
            result[i] = index < frameCount ? (int)index
                : outOfBounds == OutOfBoundsPolicy.Loop ? (int)(index % frameCount) : frameCount - 1;
        }
        return result;
    }

    /// <summary>The start of one dense clip: at 0, centred, or random (uniform over the positions where the clip fits).</summary>
    /// <param name="frameCount">Frames in the video.</param>
    /// <param name="framesPerClip">Frames per clip.</param>
    /// <param name="frameInterval">Step between frames.</param>
    /// <param name="start">Start policy (<see cref="ClipStart.Auto"/> is treated as <see cref="ClipStart.Centre"/>).</param>
    /// <param name="random">Generator for <see cref="ClipStart.Random"/>; required then.</param>
    /// <returns>The first index.</returns>
    public static int DenseStart(int frameCount, int framesPerClip, int frameInterval, ClipStart start, Random? random)
    {
        CheckCount(frameCount);
        long room = frameCount - DenseSpan(framesPerClip, frameInterval);   // free frames; negative: the clip is longer than the video
        if (room <= 0)
            return 0;
        return start switch
        {
            ClipStart.Start => 0,
            ClipStart.Random => (random ?? throw new ArgumentNullException(nameof(random), "ClipStart.Random needs a generator.")).Next((int)room + 1),
            _ => (int)(room / 2),
        };
    }

    /// <summary><paramref name="clips"/> dense clips spread evenly over the video (mmaction2's test-time sampling:
    /// clip k starts at (k + ½) × room / clips, where room is the number of free frames), or, with a generator,
    /// at a random position within each k-th part.</summary>
    /// <param name="frameCount">Frames in the video.</param>
    /// <param name="clips">Number of clips.</param>
    /// <param name="framesPerClip">Frames per clip.</param>
    /// <param name="frameInterval">Step between frames.</param>
    /// <param name="outOfBounds">Loop or repeat the last frame.</param>
    /// <param name="random">Null for evenly spaced clips; a generator for random starts.</param>
    /// <returns>One index array per clip.</returns>
    public static int[][] DenseMultiClip(int frameCount, int clips, int framesPerClip, int frameInterval, OutOfBoundsPolicy outOfBounds, Random? random)
    {
        CheckCount(frameCount);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(clips);
        long room = Math.Max(0, frameCount - DenseSpan(framesPerClip, frameInterval)) + 1;   // possible start positions
        var result = new int[clips][];
        for (int k = 0; k < clips; k++)
        {
            double fraction = random is null ? k + 0.5 : k + random.NextDouble();
            int start = (int)Math.Min(room - 1, (long)Math.Floor(fraction * room / clips));
            result[k] = DenseFrom(frameCount, start, framesPerClip, frameInterval, outOfBounds);
        }
        return result;
    }

    /// <summary>All frames, at most <paramref name="maxFrames"/>: a shorter video is padded by
    /// <paramref name="outOfBounds"/>, a longer one is subsampled evenly (frame ⌊i × frameCount / maxFrames⌋).</summary>
    /// <param name="frameCount">Frames in the video.</param>
    /// <param name="maxFrames">Frames returned.</param>
    /// <param name="outOfBounds">Padding policy for short videos.</param>
    /// <returns>The indices.</returns>
    public static int[] All(int frameCount, int maxFrames, OutOfBoundsPolicy outOfBounds)
    {
        CheckCount(frameCount);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxFrames);
        if (frameCount <= maxFrames)
            return DenseFrom(frameCount, 0, maxFrames, 1, outOfBounds);
        var result = new int[maxFrames];
        for (int i = 0; i < maxFrames; i++)
            result[i] = (int)((long)i * frameCount / maxFrames);
        return result;
    }

    /// <summary>Frames the video would have at <paramref name="targetFps"/>: ⌊frameCount × target / source⌋, at least 1.</summary>
    /// <param name="frameCount">Frames at the source rate.</param>
    /// <param name="sourceFps">Source frame rate.</param>
    /// <param name="targetFps">Target frame rate.</param>
    /// <returns>The resampled frame count.</returns>
    public static int ResampledFrameCount(int frameCount, double sourceFps, double targetFps)
    {
        CheckCount(frameCount);
        CheckFps(sourceFps, targetFps);
        return (int)Math.Clamp(Math.Floor(frameCount * targetFps / sourceFps + 1e-9), 1, int.MaxValue);
    }

    /// <summary>Maps indices on the resampled (<paramref name="targetFps"/>) timeline back to source frames:
    /// target frame j shows source frame ⌊j × source / target⌋ (nearest earlier frame), clamped to the video.</summary>
    /// <param name="indices">Indices at the target rate (changed in place).</param>
    /// <param name="frameCount">Frames at the source rate.</param>
    /// <param name="sourceFps">Source frame rate.</param>
    /// <param name="targetFps">Target frame rate.</param>
    public static void ToSourceIndices(Span<int> indices, int frameCount, double sourceFps, double targetFps)
    {
        CheckCount(frameCount);
        CheckFps(sourceFps, targetFps);
        for (int i = 0; i < indices.Length; i++)
            indices[i] = Clamp((int)Math.Floor(indices[i] * sourceFps / targetFps + 1e-9), frameCount);
    }

    /// <summary>The sorted distinct indices of all clips: what the decoder must produce.</summary>
    /// <param name="clips">The clips.</param>
    /// <returns>Sorted distinct frame indices.</returns>
    public static int[] DistinctSorted(IEnumerable<int[]> clips)
    {
        var set = new SortedSet<int>();
        foreach (var clip in clips)
            set.UnionWith(clip);
        return [.. set];
    }

    private static int Clamp(int index, int frameCount) => Math.Clamp(index, 0, frameCount - 1);

    private static void CheckCount(int frameCount)
    {
        if (frameCount <= 0)
            throw new ArgumentOutOfRangeException(nameof(frameCount), frameCount, $"frameCount must be positive; got {frameCount}.");
    }

    private static void CheckFps(double sourceFps, double targetFps)
    {
        if (!(sourceFps > 0) || double.IsInfinity(sourceFps))
            throw new ArgumentOutOfRangeException(nameof(sourceFps), sourceFps, $"sourceFps must be a positive number; got {sourceFps}.");
        if (!(targetFps > 0) || double.IsInfinity(targetFps))
            throw new ArgumentOutOfRangeException(nameof(targetFps), targetFps, $"targetFps must be a positive number; got {targetFps}.");
    }
}
