using MLNetVideo.Distributed.Hosting;

namespace MLNetVideo.Distributed.Jobs;

internal sealed class VideoJobRegistryGrain(
    [PersistentState("registry", MLNetVideoSilo.StorageName)] IPersistentState<VideoJobRegistryState> state) : Grain, IVideoJobRegistryGrain
{
    public async Task Add(string jobId)
    {
        if (state.State.Active.Add(jobId)) await state.WriteStateAsync().ConfigureAwait(true);
    }

    public async Task Remove(string jobId)
    {
        if (state.State.Active.Remove(jobId)) await state.WriteStateAsync().ConfigureAwait(true);
    }

    public Task<string[]> GetActive() => Task.FromResult(state.State.Active.Order(StringComparer.Ordinal).ToArray());
}
