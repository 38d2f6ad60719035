using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.Hosting;
using Orleans.Runtime.Hosting;
using Orleans.Serialization;
using Orleans.Storage;

namespace MLNetVideo.Distributed.Storage;

/// <summary>Registers <see cref="FileGrainStorage"/> on a silo.</summary>
public static class FileGrainStorageExtensions
{
    /// <summary>Adds a grain storage provider named <paramref name="name"/> that keeps grain state in files under
    /// <paramref name="folder"/> (atomic writes; survives the silo; see docs/components/Orleans.md for when to choose a
    /// database provider instead).</summary>
    /// <param name="builder">The silo builder.</param>
    /// <param name="name">The provider name grains refer to (<c>[PersistentState("state", name)]</c>).</param>
    /// <param name="folder">The folder; every silo that can activate the grains must see the same one.</param>
    /// <returns>The builder.</returns>
    public static ISiloBuilder AddFileGrainStorage(this ISiloBuilder builder, string name, string folder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentException.ThrowIfNullOrWhiteSpace(folder);
        builder.Services.AddOptions<FileGrainStorageOptions>(name).Configure(o => o.Folder = folder);
        builder.Services.AddGrainStorage(name, (services, key) =>
        {
            var options = services.GetRequiredService<IOptionsMonitor<FileGrainStorageOptions>>().Get(key);
            var serializer = options.GrainStorageSerializer ?? new OrleansGrainStorageSerializer(services.GetRequiredService<Serializer>());
            return new FileGrainStorage(key, options, serializer);
        });
        return builder;
    }
}
