using Microsoft.ML.Data;

namespace MLNetVideo.Trainers.Common;

/// <summary>
/// A scoring cursor's two row-sized buffers: the clip column's value and the array the network reads. The transformer
/// keeps the last cursor's pair for the next one, because a fresh multi-megabyte array is paid for in page faults on its
/// first write (milliseconds, as much as a small network's forward), and a new cursor would pay that on its first row.
/// </summary>
internal sealed class ScoringRowBuffers
{
    /// <summary>The clip column's value, filled by the upstream getter.</summary>
    public VBuffer<float> Clip;

    /// <summary>The row as one array, sized to the clip.</summary>
    public float[] Values = [];

    /// <summary><see cref="Values"/> holding <see cref="Clip"/>'s values.</summary>
    public float[] CopyClip()
    {
        if (Values.Length != Clip.Length)
            Values = new float[Clip.Length];
        Clip.CopyTo(Values);
        return Values;
    }
}
