using Microsoft.ML.Data;

namespace MLNetVideo.Distributed.Hosting;

/// <summary>One video path (and an empty label, for models whose pipeline starts by mapping a label column).</summary>
internal sealed class PathRow
{
    public string VideoPath { get; set; } = "";

    public string Label { get; set; } = "";

    /// <summary>The schema with the path column named <paramref name="pathColumn"/>.</summary>
    public static SchemaDefinition Schema(string pathColumn)
    {
        var schema = SchemaDefinition.Create(typeof(PathRow));
        schema[nameof(VideoPath)].ColumnName = pathColumn;
        return schema;
    }
}
