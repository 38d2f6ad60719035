using Microsoft.Extensions.DependencyInjection;
using MLNetVideo.Distributed.Jobs;
using MLNetVideo.Distributed.Storage;
using MLNetVideo.Tests.TestSupport;
using Orleans;
using Orleans.Runtime;
using Orleans.Serialization;
using Orleans.Storage;

namespace MLNetVideo.Tests.Distributed;

/// <summary>The file-system grain storage: round trip, ETags, atomic files, damage detection.</summary>
[TestClass]
public sealed class FileGrainStorageTests
{
    private static FileGrainStorage Storage(string folder)
    {
        var serializer = new ServiceCollection().AddSerializer().BuildServiceProvider().GetRequiredService<Serializer>();
        return new FileGrainStorage("test", new FileGrainStorageOptions { Folder = folder }, new OrleansGrainStorageSerializer(serializer));
    }

    private static readonly GrainId Grain = GrainId.Create("job", "job-1");

    [TestMethod]
    public async Task State_RoundTrips_ThroughAFreshProviderOnTheSameFolder()
    {
        using var folder = new TempFolder();
        var state = new GrainState<VideoJobRegistryState>(new VideoJobRegistryState());
        await Storage(folder.Path).ReadStateAsync("registry", Grain, state);
        Assert.IsFalse(state.RecordExists);
        Assert.IsNull(state.ETag);
        state.State!.Active.Add("job-a");
        state.State!.Active.Add("job-b");
        await Storage(folder.Path).WriteStateAsync("registry", Grain, state);
        Assert.IsNotNull(state.ETag);

        var read = new GrainState<VideoJobRegistryState>(new VideoJobRegistryState());
        await Storage(folder.Path).ReadStateAsync("registry", Grain, read);   // as a silo that starts afresh would
        Assert.IsTrue(read.RecordExists);
        Assert.AreEqual(state.ETag, read.ETag);
        CollectionAssert.AreEquivalent(new[] { "job-a", "job-b" }, read.State!.Active.ToArray());
        var other = new GrainState<VideoJobRegistryState>(new VideoJobRegistryState());
        await Storage(folder.Path).ReadStateAsync("registry", GrainId.Create("job", "job-2"), other);
        Assert.IsFalse(other.RecordExists, "another grain has its own file");
        Assert.AreEqual(0, Directory.EnumerateFiles(folder.Path, "*.tmp", SearchOption.AllDirectories).Count(), "no temporary file left");

        await Storage(folder.Path).ClearStateAsync("registry", Grain, read);
        var cleared = new GrainState<VideoJobRegistryState>(new VideoJobRegistryState());
        await Storage(folder.Path).ReadStateAsync("registry", Grain, cleared);
        Assert.IsFalse(cleared.RecordExists);
    }

    [TestMethod]
    public async Task StaleWriter_IsRefused_AndDoesNotOverwrite()
    {
        using var folder = new TempFolder();
        var storage = Storage(folder.Path);
        var first = new GrainState<VideoJobRegistryState>(new VideoJobRegistryState());
        await storage.ReadStateAsync("registry", Grain, first);
        var second = new GrainState<VideoJobRegistryState>(new VideoJobRegistryState());
        await storage.ReadStateAsync("registry", Grain, second);
        first.State!.Active.Add("first");
        await storage.WriteStateAsync("registry", Grain, first);
        second.State!.Active.Add("second");
        var e = await Assert.ThrowsExactlyAsync<InconsistentStateException>(() => storage.WriteStateAsync("registry", Grain, second));
        StringAssert.Contains(e.Message, "changed by another writer");
        var read = new GrainState<VideoJobRegistryState>(new VideoJobRegistryState());
        await storage.ReadStateAsync("registry", Grain, read);
        CollectionAssert.AreEqual(new[] { "first" }, read.State!.Active.ToArray());
    }

    [TestMethod]
    public async Task DamagedFile_IsRefused_NamingIt()
    {
        using var folder = new TempFolder();
        var storage = Storage(folder.Path);
        var state = new GrainState<VideoJobRegistryState>(new VideoJobRegistryState());
        state.State!.Active.Add("job-a");
        await storage.WriteStateAsync("registry", Grain, state);
        string path = storage.PathOf("registry", Grain);
        var bytes = File.ReadAllBytes(path);
        bytes[^40] ^= 0x10;
        File.WriteAllBytes(path, bytes);
        var e = await Assert.ThrowsExactlyAsync<InvalidDataException>(() => storage.ReadStateAsync("registry", Grain, new GrainState<VideoJobRegistryState>(new VideoJobRegistryState())));
        StringAssert.Contains(e.Message, path);
        StringAssert.Contains(e.Message, "SHA-256");
    }
}
