using Microsoft.Extensions.Logging;
using MLNetVideo.Distributed.Hosting;
using MLNetVideo.Trainers.MoViNet;

namespace MLNetVideo.Distributed.Streams;

internal sealed class CameraStreamGrain(
    [PersistentState("camera", MLNetVideoSilo.StorageName)] IPersistentState<CameraStreamState> state,
    SiloModels models, ILogger<CameraStreamGrain> logger) : Grain, ICameraStreamGrain
{
    private MoViNetStream? _session;
    private string[] _classNames = [];

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (state.State.Settings is { } settings)
        {
            OpenSession(settings);
            if (state.State.Snapshot is { } snapshot)
                _session!.ImportState(snapshot);
            logger.LogInformation("Camera {Camera} resumed on {Silo} after frame {Frames}.", this.GetPrimaryKeyString(), RuntimeIdentity, state.State.Frames);
        }
        return Task.CompletedTask;
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        try
        {
            if (_session is not null && _session.FramesSeen != state.State.Frames)
                await PersistAsync().ConfigureAwait(true);
        }
        catch (Exception e)
        {
            logger.LogWarning("Camera {Camera}: could not persist on deactivation ({Error}); it resumes from frame {Frames}.", this.GetPrimaryKeyString(), e.Message, state.State.Frames);
        }
        finally
        {
            CloseSession();
        }
    }

    public async Task<CameraStreamStatus> Open(CameraStreamSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentOutOfRangeException.ThrowIfLessThan(settings.PersistEveryFrames, 1, nameof(settings.PersistEveryFrames));
        if (state.State.Settings is { } current)
        {
            if (current != settings)
                throw new InvalidOperationException($"Camera '{this.GetPrimaryKeyString()}' is already open with model '{current.ModelPath}' (persist every {current.PersistEveryFrames} frames); Close it first to change its settings.");
            return Status();
        }
        OpenSession(settings);
        state.State = new CameraStreamState { Settings = settings };
        await state.WriteStateAsync().ConfigureAwait(true);
        return Status();
    }

    public async Task<CameraPrediction?> Push(CameraFrames frames)
    {
        ArgumentNullException.ThrowIfNull(frames);
        var session = _session ?? throw new InvalidOperationException($"Camera '{this.GetPrimaryKeyString()}' is not open: call Open first.");
        long frameSize = 3L * frames.Height * frames.Width;
        if (frames.Height < 1 || frames.Width < 1 || frames.Pixels.Length == 0 || frames.Pixels.Length % frameSize != 0)
            throw new ArgumentException($"Pixels must hold t ≥ 1 frames of 3 × {frames.Height} × {frames.Width} floats; got {frames.Pixels.Length}.", nameof(frames));
        long count = frames.Pixels.Length / frameSize;
        long seen = session.FramesSeen;
        if (frames.FirstFrame > seen)
            throw new ArgumentException($"Camera '{this.GetPrimaryKeyString()}' has consumed {seen} frames; frames {seen}..{frames.FirstFrame - 1} are missing (push from frame {seen}).", nameof(frames));
        long skip = seen - frames.FirstFrame;
        if (skip >= count) return null;
        var pixels = skip == 0 ? frames.Pixels : frames.Pixels[(int)(skip * frameSize)..];
        float[] logits;
        using (models.Use())
            logits = session.Push(pixels, frames.Height, frames.Width);
        var probabilities = MoViNetStreaming.Softmax(logits);
        int best = Array.IndexOf(probabilities, probabilities.Max());
        var prediction = new CameraPrediction
        {
            CameraId = this.GetPrimaryKeyString(),
            FrameIndex = session.FramesSeen - 1,
            Logits = logits,
            Probabilities = probabilities,
            Label = best < _classNames.Length ? _classNames[best] : $"class {best}",
        };
        if (session.FramesSeen - state.State.Frames >= state.State.Settings!.PersistEveryFrames)
            await PersistAsync().ConfigureAwait(true);
        try
        {
            await this.GetStreamProvider(MLNetVideoSilo.StreamProviderName)
                .GetStream<CameraPrediction>(CameraStreams.PredictionStream(prediction.CameraId)).OnNextAsync(prediction).ConfigureAwait(true);
        }
        catch (Exception e)
        {
            logger.LogWarning("Camera {Camera}: could not publish the prediction of frame {Frame}: {Error}", prediction.CameraId, prediction.FrameIndex, e.Message);
        }
        return prediction;
    }

    public Task<CameraStreamStatus> GetStatus() => Task.FromResult(Status());

    public async Task Close()
    {
        CloseSession();
        await state.ClearStateAsync().ConfigureAwait(true);
        DeactivateOnIdle();
    }

    private CameraStreamStatus Status() => new()
    {
        Open = state.State.Settings is not null,
        FramesSeen = _session?.FramesSeen ?? 0,
        PersistedFrames = state.State.Frames,
        Silo = RuntimeIdentity,
    };

    private async Task PersistAsync()
    {
        state.State.Snapshot = _session!.ExportState();
        state.State.Frames = _session.FramesSeen;
        await state.WriteStateAsync().ConfigureAwait(true);
    }

    private void OpenSession(CameraStreamSettings settings)
    {
        var model = models.Get(settings.ModelPath);
        _session = model.Model.CreateStream();
        _classNames = model.ClassNames;
        models.StreamOpened();
    }

    private void CloseSession()
    {
        if (_session is null) return;
        _session.Dispose();
        _session = null;
        models.StreamClosed();
    }
}
