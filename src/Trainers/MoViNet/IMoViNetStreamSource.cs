using static TorchSharp.torch;

namespace MLNetVideo.Trainers.MoViNet;

/// <summary>A network a streaming session can run on (one MoViNet, or the temporal ensemble's two members).</summary>
internal interface IMoViNetStreamSource
{
    /// <summary>Opens a session whose state lives on <paramref name="device"/> (where the network is).</summary>
    /// <param name="device">The network's device.</param>
    /// <returns>The session.</returns>
    MoViNetStream CreateStream(Device device);
}
