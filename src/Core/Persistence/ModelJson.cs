using System.Text.Json;

namespace MLNetVideo.Persistence;

/// <summary>JSON settings shared by writer and reader.</summary>
internal static class ModelJson
{
    public static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = true,
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() },
    };
}
