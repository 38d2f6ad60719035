using Orleans.Storage;

namespace MLNetVideo.Distributed.Storage;

/// <summary>Settings of the file-system grain storage (<see cref="FileGrainStorageExtensions.AddFileGrainStorage"/>).</summary>
public sealed class FileGrainStorageOptions : IStorageProviderSerializerOptions
{
    /// <summary>The folder that holds the state files (created when missing). Every silo that may activate the grains must
    /// see the same folder: one machine, or a shared file system in a cluster.</summary>
    public string Folder { get; set; } = "";

    /// <summary>How grain state is turned into bytes; null (default) uses Orleans' own binary serializer, which understands
    /// every <c>[GenerateSerializer]</c> type.</summary>
    public IGrainStorageSerializer GrainStorageSerializer { get; set; } = null!;
}
