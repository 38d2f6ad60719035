namespace MLNetVideo.Weights;

/// <summary>The container <see cref="PyTorchCheckpointWriter"/> writes.</summary>
public enum PyTorchCheckpointFormat
{
    /// <summary>The zip archive of <c>torch.save</c> since PyTorch 1.6 (<c>archive/data.pkl</c>, <c>archive/data/N</c>).</summary>
    Zip = 0,

    /// <summary>The pickle stream of <c>torch.save</c> before PyTorch 1.6 (magic number, protocol, system facts, object,
    /// storage keys, then the raw storages), as the 2019 S3D and TSM releases use.</summary>
    Legacy = 1,
}
