namespace MLNetVideo.Devices;

/// <summary>What a <see cref="DeviceChoice"/> names.</summary>
public enum DeviceChoiceKind
{
    /// <summary>CUDA when this process can use it, else the CPU.</summary>
    Auto = 0,

    /// <summary>The CPU.</summary>
    Cpu = 1,

    /// <summary>A CUDA device.</summary>
    Cuda = 2,
}
