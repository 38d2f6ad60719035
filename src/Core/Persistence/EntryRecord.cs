namespace MLNetVideo.Persistence;

/// <summary>One entry of a transformer's folder: name, length and SHA-256.</summary>
internal readonly record struct EntryRecord(string Name, long Length, byte[] Sha256);
