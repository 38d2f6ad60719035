using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using MLNetVideo.Distributed.Jobs;

namespace MLNetVideo.Distributed.Hosting;

/// <summary>
/// N Orleans silos and a client in this process, on loopback ports (development clustering: silo 0 holds the membership
/// table), with the MLNetVideo grains: a cluster for one machine (<c>mlnetvideo cluster score</c>), for tests and for trying
/// a job before deploying silos on several machines (docs/components/Orleans.md).
/// </summary>
public sealed class LocalVideoCluster : IAsyncDisposable
{
    private readonly List<IHost> _silos;
    private readonly IHost _client;

    private LocalVideoCluster(List<IHost> silos, IHost client)
    {
        _silos = silos;
        _client = client;
    }

    /// <summary>The cluster client.</summary>
    public IClusterClient Client => _client.Services.GetRequiredService<IClusterClient>();

    /// <summary>Silos running.</summary>
    public int SiloCount => _silos.Count;

    /// <summary>Starts the silos and the client.</summary>
    /// <param name="options">The settings.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>The running cluster (dispose it to stop it).</returns>
    public static async Task<LocalVideoCluster> StartAsync(LocalVideoClusterOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Silos < 1) throw new ArgumentOutOfRangeException(nameof(options), options.Silos, "Silos must be at least 1.");
        string clusterId = "mlnetvideo-local-" + Guid.NewGuid().ToString("N")[..8];
        int cores = Math.Max(1, Environment.ProcessorCount / options.Silos);
        var ports = FreePorts(2 * options.Silos);
        var primary = new IPEndPoint(IPAddress.Loopback, ports[0]);
        var silos = new List<IHost>();
        try
        {
            for (int i = 0; i < options.Silos; i++)
            {
                var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, ApplicationName = $"silo{i}" });
                int siloPort = ports[2 * i], gatewayPort = ports[(2 * i) + 1];
                builder.UseOrleans(silo => silo
                    .UseLocalhostClustering(siloPort, gatewayPort, primary, serviceId: clusterId, clusterId: clusterId)
                    .AddMLNetVideo(new MLNetVideoSiloOptions
                    {
                        StateFolder = options.StateFolder,
                        TorchThreads = options.TorchThreads,
                        Cores = cores,
                        MaxConcurrentShards = options.MaxConcurrentShardsPerSilo,
                        PollInterval = options.PollInterval,
                    }));
                var host = builder.Build();
                silos.Add(host);
                await host.StartAsync(cancellationToken).ConfigureAwait(false);
            }
            var clientBuilder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, ApplicationName = "client" });
            clientBuilder.UseOrleansClient(client => client
                .UseLocalhostClustering(Enumerable.Range(0, options.Silos).Select(i => ports[(2 * i) + 1]).ToArray(), clusterId, clusterId)
                .AddMLNetVideo());
            var clientHost = clientBuilder.Build();
            await clientHost.StartAsync(cancellationToken).ConfigureAwait(false);
            return new LocalVideoCluster(silos, clientHost);
        }
        catch
        {
            await StopAsync(silos).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Runs a job on this cluster (see <see cref="VideoJobs.RunAsync"/>).</summary>
    /// <param name="job">The job.</param>
    /// <param name="progress">Receives the progress; null for none.</param>
    /// <param name="cancellationToken">Pauses the job.</param>
    /// <returns>The final progress.</returns>
    public Task<VideoJobProgress> RunAsync(VideoJob job, IProgress<VideoJobProgress>? progress = null, CancellationToken cancellationToken = default)
        => VideoJobs.RunAsync(Client, job, progress, TimeSpan.FromMilliseconds(250), cancellationToken: cancellationToken);

    /// <summary>Stops the client, then the silos (the primary last).</summary>
    /// <returns>A task.</returns>
    public async ValueTask DisposeAsync()
    {
        await StopAsync([_client]).ConfigureAwait(false);
        await StopAsync(_silos).ConfigureAwait(false);
    }

    private static async Task StopAsync(List<IHost> hosts)
    {
        for (int i = hosts.Count - 1; i >= 0; i--)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            try
            {
                await hosts[i].StopAsync(timeout.Token).ConfigureAwait(false);
            }
            finally
            {
                hosts[i].Dispose();
            }
        }
        hosts.Clear();
    }

    private static int[] FreePorts(int count)
    {
        var listeners = Enumerable.Range(0, count).Select(_ =>
        {
            var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            return listener;
        }).ToList();
        var ports = listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port).ToArray();
        foreach (var l in listeners) l.Stop();
        return ports;
    }
}
