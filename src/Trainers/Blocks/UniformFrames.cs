namespace MLNetVideo.Trainers.Blocks;

/// <summary>TSN's test-time frame choice, shared by TSM (clustering baselines) and AFNet (fixed-ratio masks).</summary>
internal static class UniformFrames
{
    /// <summary>The centres of <paramref name="count"/> equal segments of <paramref name="frames"/> frames (every frame when
    /// <paramref name="count"/> ≥ <paramref name="frames"/>).</summary>
    /// <param name="frames">T.</param>
    /// <param name="count">Frames wanted.</param>
    /// <returns>Ascending indices in [0, frames).</returns>
    public static long[] Indices(int frames, int count)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(frames, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        if (count >= frames)
            return [.. Enumerable.Range(0, frames).Select(i => (long)i)];
        double segment = (double)frames / count;
        return [.. Enumerable.Range(0, count).Select(k => (long)Math.Min(frames - 1, Math.Floor((segment * k) + (segment / 2))))];
    }
}
