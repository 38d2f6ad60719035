using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetVideo.Transforms.Datasets;

namespace MLNetVideo.Distributed.Jobs;

/// <summary>Builds the video list of a <see cref="VideoJob"/>: from a folder, a list file or an <see cref="IDataView"/>.</summary>
public static class VideoList
{
    /// <summary>Every video file under <paramref name="folder"/> (recursively; extensions of
    /// <see cref="VideoDataset.DefaultExtensions"/>), as full paths in ordinal order.</summary>
    /// <param name="folder">The folder.</param>
    /// <returns>The paths.</returns>
    public static IReadOnlyList<string> FromFolder(string folder)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(folder);
        string root = Path.GetFullPath(folder);
        if (!Directory.Exists(root)) throw new DirectoryNotFoundException($"The video folder '{root}' does not exist.");
        return Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
            .Where(f => VideoDataset.DefaultExtensions.Contains(Path.GetExtension(f).ToLowerInvariant()))
            .Order(StringComparer.Ordinal).ToArray();
    }

    /// <summary>One path per line of a text file (blank lines and lines starting with '#' skipped); relative paths are
    /// taken relative to the list file's folder.</summary>
    /// <param name="listFile">The list file.</param>
    /// <returns>The paths, in file order.</returns>
    public static IReadOnlyList<string> FromFile(string listFile)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(listFile);
        string full = Path.GetFullPath(listFile);
        if (!File.Exists(full)) throw new FileNotFoundException($"The video list '{full}' does not exist.", full);
        string folder = Path.GetDirectoryName(full)!;
        return File.ReadLines(full).Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#'))
            .Select(l => Path.GetFullPath(l, folder)).ToArray();
    }

    /// <summary>The values of a text column, in row order.</summary>
    /// <param name="data">The rows.</param>
    /// <param name="columnName">A text column of video paths. Default "VideoPath".</param>
    /// <returns>The paths.</returns>
    public static IReadOnlyList<string> FromDataView(IDataView data, string columnName = "VideoPath")
    {
        ArgumentNullException.ThrowIfNull(data);
        var column = data.Schema.GetColumnOrNull(columnName)
            ?? throw new ArgumentOutOfRangeException(nameof(columnName), columnName, $"Could not find input column '{columnName}'");
        if (column.Type is not TextDataViewType)
            throw new ArgumentOutOfRangeException(nameof(columnName), columnName, $"Schema mismatch for input column '{columnName}': expected String, got {column.Type}");
        var result = new List<string>();
        using var cursor = data.GetRowCursor([column]);
        var getter = cursor.GetGetter<ReadOnlyMemory<char>>(column);
        var value = default(ReadOnlyMemory<char>);
        while (cursor.MoveNext())
        {
            getter(ref value);
            result.Add(value.ToString());
        }
        return result;
    }
}
