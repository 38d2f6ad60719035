namespace MLNetVideo.Weights;

/// <summary>The CRC-32 (IEEE 802.3, as zip uses it) of a byte span, to check zip entries whose size fields may lie.
/// Computed by <see cref="System.IO.Hashing.Crc32"/> (vectorised, many times faster than a byte-wise table).</summary>
internal static class Crc32
{
    public static uint Compute(ReadOnlySpan<byte> data) => System.IO.Hashing.Crc32.HashToUInt32(data);
}
