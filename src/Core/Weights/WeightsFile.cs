namespace MLNetVideo.Weights;

/// <summary>Reads weight files whatever their container, told apart by content: safetensors, PyTorch zip
/// (<c>torch.save</c> ≥ 1.6 and TorchScript archives) and legacy <c>torch.save</c> pickles.</summary>
public static class WeightsFile
{
    /// <summary>Whether the file is a PyTorch checkpoint (zip archive or legacy pickle) rather than safetensors.</summary>
    /// <param name="path">The file.</param>
    /// <returns>True for a PyTorch container.</returns>
    public static bool IsPyTorch(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        using var stream = File.OpenRead(path);
        Span<byte> magic = stackalloc byte[4];
        int read = stream.ReadAtLeast(magic, 4, throwOnEndOfStream: false);
        return (read == 4 && magic.SequenceEqual("PK\u0003\u0004"u8)) || (read >= 1 && magic[0] == 0x80);
    }

    /// <summary>The state dict of a weights file.</summary>
    /// <param name="path">The file.</param>
    /// <param name="entry">For a PyTorch checkpoint, the state dict's key path (see <see cref="PyTorchCheckpoint.GetStateDict"/>).</param>
    /// <param name="limits">Reader bounds.</param>
    /// <returns>Tensors by key.</returns>
    public static IReadOnlyDictionary<string, TensorData> ReadStateDict(string path, string? entry = null, WeightsReadLimits? limits = null)
        => IsPyTorch(path)
            ? PyTorchCheckpointReader.Read(path, limits).GetStateDict(entry)
            : SafeTensorsReader.ReadAll(path, limits);
}
