namespace MLNetVideo.Distributed.Hosting;

/// <summary>Settings of <see cref="LocalVideoCluster"/>.</summary>
public sealed class LocalVideoClusterOptions
{
    /// <summary>Silos to start. Default 2.</summary>
    public int Silos { get; set; } = 2;

    /// <summary>Folder of the grain state (job coordinators, camera sessions). Required.</summary>
    public string StateFolder { get; set; } = "";

    /// <summary>Torch intra-op threads of the process (<c>torch.set_num_threads</c>). Default 1: each concurrent shard
    /// gets one core, which on a CPU is faster overall than several threads per forward pass.</summary>
    public int? TorchThreads { get; set; } = 1;

    /// <summary>Shards each silo works on at once; null (default) = the machine's cores ÷ silos ÷ torch threads, at least 1.</summary>
    public int? MaxConcurrentShardsPerSilo { get; set; }

    /// <summary>How often idle workers ask for work. Default 250 ms.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMilliseconds(250);
}
