using System.Buffers.Binary;

namespace MLNetVideo.Reporting;

/// <summary>Reads the size of a PNG from its header (no decoder needed), to check written plots.</summary>
public static class PngInfo
{
    private static readonly byte[] Signature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>Width and height of the PNG in <paramref name="path"/>.</summary>
    /// <param name="path">A PNG file.</param>
    /// <returns>The size in pixels.</returns>
    /// <exception cref="InvalidDataException">The file is not a PNG.</exception>
    public static (int Width, int Height) ReadSize(string path)
    {
        Span<byte> header = stackalloc byte[24];
        using var stream = File.OpenRead(path);
        if (stream.ReadAtLeast(header, 24, throwOnEndOfStream: false) < 24 || !header[..8].SequenceEqual(Signature)
            || !header.Slice(12, 4).SequenceEqual("IHDR"u8))
            throw new InvalidDataException($"'{path}' is not a PNG file (bad signature or no IHDR chunk).");
        return (BinaryPrimitives.ReadInt32BigEndian(header.Slice(16, 4)), BinaryPrimitives.ReadInt32BigEndian(header.Slice(20, 4)));
    }
}
