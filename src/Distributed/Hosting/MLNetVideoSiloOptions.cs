namespace MLNetVideo.Distributed.Hosting;

/// <summary>Settings of the MLNetVideo services on a silo (<see cref="MLNetVideoSilo.AddMLNetVideo(Orleans.Hosting.ISiloBuilder, MLNetVideoSiloOptions)"/>).</summary>
public sealed class MLNetVideoSiloOptions
{
    /// <summary>Folder of the grain state (job coordinators, the job registry, camera sessions, stream subscriptions):
    /// the file grain storage. Every silo must see the same folder (one machine, or a shared file system). Required.</summary>
    public string StateFolder { get; set; } = "";

    /// <summary>Shards this silo works on at once; null (default) = processor count ÷ <see cref="TorchThreads"/> (1 when
    /// unset), at least 1 — so decoding and forward passes of the concurrent shards fill the cores without oversubscribing them.</summary>
    public int? MaxConcurrentShards { get; set; }

    /// <summary>Torch intra-op threads, set through <see cref="MLNetVideo.VideoRuntime.Threads"/> when the silo's worker starts; null (default)
    /// leaves the process-wide setting (MLNETVIDEO_THREADS, else the processor count). The setting is per process: silos that share a process share it.</summary>
    public int? TorchThreads { get; set; }

    /// <summary>How often an idle worker asks for work. Default 1 s.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>A camera stream grain that receives no call for this long deactivates (persisting its session first) and
    /// frees its memory. Default 10 min.</summary>
    public TimeSpan CameraIdleTimeout { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Processor cores this silo may use for shards (the machine's by default; silos that share a machine set a share).</summary>
    public int? Cores { get; set; }

    internal int EffectiveConcurrency => MaxConcurrentShards ?? Math.Max(1, (Cores ?? Environment.ProcessorCount) / Math.Max(1, TorchThreads ?? 1));

    internal void Validate()
    {
        if (string.IsNullOrWhiteSpace(StateFolder))
            throw new ArgumentException("MLNetVideoSiloOptions.StateFolder must name the folder of the grain state (shared by every silo).", nameof(StateFolder));
        if (MaxConcurrentShards is < 1) throw new ArgumentOutOfRangeException(nameof(MaxConcurrentShards), MaxConcurrentShards, "MaxConcurrentShards must be at least 1.");
        if (TorchThreads is < 1) throw new ArgumentOutOfRangeException(nameof(TorchThreads), TorchThreads, "TorchThreads must be at least 1.");
        if (Cores is < 1) throw new ArgumentOutOfRangeException(nameof(Cores), Cores, "Cores must be at least 1.");
        if (PollInterval <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(PollInterval), PollInterval, "PollInterval must be positive.");
        if (CameraIdleTimeout < TimeSpan.FromSeconds(1)) throw new ArgumentOutOfRangeException(nameof(CameraIdleTimeout), CameraIdleTimeout, "CameraIdleTimeout must be at least 1 s.");
    }
}
