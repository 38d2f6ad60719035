using System.Globalization;

namespace MLNetVideo.Transforms.Decoding;

/// <summary>Orders frame image names by the last number in the name ("2.jpg" before "10.jpg"; "img_00002.jpg"), then by name.</summary>
internal sealed class FrameNameComparer : IComparer<string>
{
    public static readonly FrameNameComparer Instance = new();

    public int Compare(string? x, string? y)
    {
        var (nx, ny) = (LastNumber(x), LastNumber(y));
        int byNumber = nx.CompareTo(ny);
        return byNumber != 0 ? byNumber : string.CompareOrdinal(x, y);
    }

    private static long LastNumber(string? path)
    {
        var name = Path.GetFileNameWithoutExtension(path ?? "");
        int end = name.Length;
        while (end > 0 && !char.IsAsciiDigit(name[end - 1])) end--;
        int start = end;
        while (start > 0 && char.IsAsciiDigit(name[start - 1]) && end - start < 18) start--;
        return start < end ? long.Parse(name.AsSpan(start, end - start), CultureInfo.InvariantCulture) : -1;
    }
}
