using Microsoft.Extensions.DependencyInjection;
using MLNetVideo.Distributed.Jobs;
using MLNetVideo.Distributed.Storage;
using MLNetVideo.Distributed.Streams;
using Orleans.Configuration;

namespace MLNetVideo.Distributed.Hosting;

/// <summary>Adds MLNetVideo's grains and services to Orleans silos and clients.</summary>
public static class MLNetVideoSilo
{
    /// <summary>The grain storage provider the MLNetVideo grains use.</summary>
    public const string StorageName = "mlnetvideo";

    /// <summary>The stream provider on which camera predictions are published (memory streams).</summary>
    public const string StreamProviderName = "mlnetvideo";

    private const string PubSubStorageName = "PubSubStore";

    /// <summary>
    /// Adds to a silo: the file grain storage <see cref="StorageName"/> (and <c>PubSubStore</c> for stream subscriptions)
    /// under <see cref="MLNetVideoSiloOptions.StateFolder"/>, the memory stream provider <see cref="StreamProviderName"/>,
    /// the per-silo model cache, the job worker and the camera idle timeout. Clustering is the host's choice
    /// (docs/components/Orleans.md).
    /// </summary>
    /// <param name="builder">The silo builder.</param>
    /// <param name="options">The settings.</param>
    /// <returns>The builder.</returns>
    public static ISiloBuilder AddMLNetVideo(this ISiloBuilder builder, MLNetVideoSiloOptions options)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        builder.AddFileGrainStorage(StorageName, options.StateFolder);
        builder.AddFileGrainStorage(PubSubStorageName, Path.Combine(options.StateFolder, "pubsub"));
        builder.AddMemoryStreams(StreamProviderName);
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton<SiloModels>();
        builder.Services.AddSingleton<VideoJobWorker>();
        builder.Services.AddHostedService(services => services.GetRequiredService<VideoJobWorker>());
        builder.Services.Configure<GrainCollectionOptions>(o =>
        {
            o.ClassSpecificCollectionAge[typeof(CameraStreamGrain).FullName!] = options.CameraIdleTimeout;
            if (o.CollectionQuantum >= options.CameraIdleTimeout)
                o.CollectionQuantum = options.CameraIdleTimeout / 2;
        });
        return builder;
    }

    /// <summary>Adds to a client what it needs to subscribe to camera predictions (the memory stream provider).</summary>
    /// <param name="builder">The client builder.</param>
    /// <returns>The builder.</returns>
    public static IClientBuilder AddMLNetVideo(this IClientBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddMemoryStreams(StreamProviderName);
    }
}
