using System.Buffers.Binary;
using System.Text;

namespace MLNetVideo.Transforms.Decoding;

/// <summary>
/// Reads what the decoder needs to plan a row (frame size, frame count, frame rate, codec) from an MP4 / QuickTime file's
/// own header boxes (ISO/IEC 14496-12: moov → trak → mdia → mdhd / hdlr / minf → stbl → stsd / stts / stsz), so the
/// common container costs no ffprobe process (issue 22). The figures are the ones ffprobe reports for the first video
/// track: <c>nb_frames</c> = the stsz sample count, <c>avg_frame_rate</c> = stts samples × timescale ÷ stts duration.
/// Anything unusual — fragmented files, no video track, an unknown codec, a track size that disagrees with the sample
/// entry (rotation, non-square pixels), boxes that do not add up — returns null, and the caller asks ffprobe.
/// </summary>
internal static class Mp4Header
{
    /// <summary>Largest moov box read into memory; larger headers go to ffprobe.</summary>
    private const long MaxMoovBytes = 64L << 20;

    /// <summary>Sample-entry codes and ffprobe's codec names for them.</summary>
    private static readonly Dictionary<string, string> Codecs = new(StringComparer.Ordinal)
    {
        ["avc1"] = "h264", ["avc3"] = "h264", ["hvc1"] = "hevc", ["hev1"] = "hevc", ["mp4v"] = "mpeg4",
        ["vp09"] = "vp9", ["av01"] = "av1", ["jpeg"] = "mjpeg", ["mjpa"] = "mjpeg",
    };

    public readonly record struct Info(int Width, int Height, long Frames, double FramesPerSecond, string Codec);

    /// <summary>The header of an MP4 / MOV file, or null when it is not one or is anything out of the ordinary.</summary>
    public static Info? TryRead(string path)
    {
        try
        {
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, FileOptions.RandomAccess);
            byte[]? moov = FindMoov(file);
            return moov is null ? null : ParseMoov(moov);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return null;
        }
    }

    private static byte[]? FindMoov(FileStream file)
    {
        long length = file.Length, offset = 0;
        Span<byte> head = stackalloc byte[16];
        bool first = true;
        while (offset + 8 <= length)
        {
            file.Position = offset;
            if (file.ReadAtLeast(head[..8], 8, throwOnEndOfStream: false) < 8)
                return null;
            long size = BinaryPrimitives.ReadUInt32BigEndian(head);
            string type = Encoding.ASCII.GetString(head.Slice(4, 4));
            int headerBytes = 8;
            if (size == 1)
            {
                if (file.ReadAtLeast(head.Slice(8, 8), 8, throwOnEndOfStream: false) < 8)
                    return null;
                size = (long)BinaryPrimitives.ReadUInt64BigEndian(head[8..]);
                headerBytes = 16;
            }
            else if (size == 0)
                size = length - offset;
            if (size < headerBytes || offset + size > length)
                return null;
            if (first && type is not ("ftyp" or "moov" or "mdat" or "free" or "skip" or "wide" or "pnot"))
                return null;   // not an ISO / QuickTime file
            first = false;
            if (type == "moof")
                return null;   // fragmented: the sample tables are spread over fragments
            if (type == "moov")
            {
                long body = size - headerBytes;
                if (body > MaxMoovBytes)
                    return null;
                var moov = new byte[body];
                file.ReadExactly(moov);
                return moov;
            }
            offset += size;
        }
        return null;
    }

    /// <summary>The child boxes of <paramref name="data"/>: (type, body) pairs; null when the sizes do not add up.</summary>
    private static List<(string Type, ReadOnlyMemory<byte> Body)>? Children(ReadOnlyMemory<byte> data)
    {
        var boxes = new List<(string, ReadOnlyMemory<byte>)>();
        var span = data.Span;
        int offset = 0;
        while (offset + 8 <= span.Length)
        {
            long size = BinaryPrimitives.ReadUInt32BigEndian(span[offset..]);
            string type = Encoding.ASCII.GetString(span.Slice(offset + 4, 4));
            int headerBytes = 8;
            if (size == 1)
            {
                if (offset + 16 > span.Length)
                    return null;
                size = (long)BinaryPrimitives.ReadUInt64BigEndian(span[(offset + 8)..]);
                headerBytes = 16;
            }
            else if (size == 0)
                size = span.Length - offset;
            if (size < headerBytes || offset + size > span.Length)
                return null;
            boxes.Add((type, data.Slice(offset + headerBytes, (int)size - headerBytes)));
            offset += (int)size;
        }
        return offset == span.Length ? boxes : null;
    }

    private static ReadOnlyMemory<byte>? Child(List<(string Type, ReadOnlyMemory<byte> Body)>? boxes, string type)
    {
        if (boxes is null)
            return null;
        foreach (var (t, body) in boxes)
            if (t == type)
                return body;
        return null;
    }

    private static Info? ParseMoov(byte[] moov)
    {
        var boxes = Children(moov);
        if (boxes is null || Child(boxes, "mvex") is not null)
            return null;   // movie fragments follow
        foreach (var (type, trak) in boxes)
        {
            if (type != "trak")
                continue;
            var trakBoxes = Children(trak);
            var mdia = Children(Child(trakBoxes, "mdia") ?? default);
            if (Child(mdia, "hdlr") is not { Length: >= 12 } hdlr || Encoding.ASCII.GetString(hdlr.Span.Slice(8, 4)) != "vide")
                continue;
            // The first video track is the one ffprobe's "v:0" selects; anything odd about it goes to ffprobe.
            return ParseVideoTrack(trakBoxes!, mdia!);
        }
        return null;
    }

    private static Info? ParseVideoTrack(List<(string Type, ReadOnlyMemory<byte> Body)> trak, List<(string Type, ReadOnlyMemory<byte> Body)> mdia)
    {
        if (Child(mdia, "mdhd") is not { } mdhdBox || Child(trak, "tkhd") is not { } tkhdBox)
            return null;
        var mdhd = mdhdBox.Span;
        long timescale = mdhd.Length >= 1 && mdhd[0] == 1
            ? (mdhd.Length >= 24 ? BinaryPrimitives.ReadUInt32BigEndian(mdhd[20..]) : 0)
            : (mdhd.Length >= 16 ? BinaryPrimitives.ReadUInt32BigEndian(mdhd[12..]) : 0);
        var stbl = Children(Child(Children(Child(mdia, "minf") ?? default), "stbl") ?? default);
        if (timescale <= 0 || Child(stbl, "stsd") is not { } stsdBox || Child(stbl, "stsz") is not { } stszBox || Child(stbl, "stts") is not { } sttsBox)
            return null;

        // stsd: version/flags, entry count, first sample entry: size, format, 6 reserved, data reference index,
        // then the visual sample entry: 16 bytes of pre-defined / reserved, width, height.
        var stsd = stsdBox.Span;
        if (stsd.Length < 8 + 36 || BinaryPrimitives.ReadUInt32BigEndian(stsd[4..]) != 1)
            return null;
        string format = Encoding.ASCII.GetString(stsd.Slice(12, 4));
        if (!Codecs.TryGetValue(format, out var codec))
            return null;
        int width = BinaryPrimitives.ReadUInt16BigEndian(stsd[(8 + 32)..]);
        int height = BinaryPrimitives.ReadUInt16BigEndian(stsd[(8 + 34)..]);

        // tkhd: the presentation size (16.16 fixed point) must match, or the frames are shown rotated / stretched.
        var tkhd = tkhdBox.Span;
        int sizeAt = tkhd.Length >= 1 && tkhd[0] == 1 ? 88 : 76;
        if (tkhd.Length < sizeAt + 8)
            return null;
        int trackWidth = (int)(BinaryPrimitives.ReadUInt32BigEndian(tkhd[sizeAt..]) >> 16);
        int trackHeight = (int)(BinaryPrimitives.ReadUInt32BigEndian(tkhd[(sizeAt + 4)..]) >> 16);
        if (width <= 0 || height <= 0 || trackWidth != width || trackHeight != height || !IdentityMatrix(tkhd[(sizeAt - 36)..sizeAt]))
            return null;

        var stsz = stszBox.Span;
        if (stsz.Length < 12)
            return null;
        long frames = BinaryPrimitives.ReadUInt32BigEndian(stsz[8..]);

        var stts = sttsBox.Span;
        if (stts.Length < 8)
            return null;
        long entries = BinaryPrimitives.ReadUInt32BigEndian(stts[4..]);
        if (stts.Length < 8 + entries * 8)
            return null;
        long counted = 0, duration = 0;
        for (int i = 0; i < entries; i++)
        {
            long count = BinaryPrimitives.ReadUInt32BigEndian(stts[(8 + 8 * i)..]);
            long delta = BinaryPrimitives.ReadUInt32BigEndian(stts[(12 + 8 * i)..]);
            if (delta == 0)
                continue;
            counted += count;
            duration += count * delta;
        }
        if (frames <= 0 || counted <= 0 || duration <= 0)
            return null;
        return new Info(width, height, frames, (double)counted * timescale / duration, codec);
    }

    /// <summary>The track matrix {a b u; c d v; x y w} is the identity (no rotation or flip).</summary>
    private static bool IdentityMatrix(ReadOnlySpan<byte> matrix)
    {
        if (matrix.Length != 36)
            return false;
        ReadOnlySpan<uint> identity = [0x00010000, 0, 0, 0, 0x00010000, 0, 0, 0, 0x40000000];
        for (int i = 0; i < 9; i++)
            if (BinaryPrimitives.ReadUInt32BigEndian(matrix[(4 * i)..]) != identity[i])
                return false;
        return true;
    }
}
