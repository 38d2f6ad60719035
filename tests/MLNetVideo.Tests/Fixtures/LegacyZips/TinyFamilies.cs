using MLNetVideo.Trainers;
using MLNetVideo.Trainers.AFNet;
using MLNetVideo.Trainers.Evl;
using MLNetVideo.Trainers.MoViNet;
using MLNetVideo.Trainers.S3D;
using MLNetVideo.Trainers.Tsm;

namespace MLNetVideo.Tests.Fixtures.LegacyZips;

/// <summary>The tiny trainer options of each family that the legacy-zip writer (tests/LegacyZipWriter) saves and the
/// backbone contract test trains: one epoch of batches of two, CPU, seed 5, the smallest widths each family accepts.</summary>
public static class TinyFamilies
{
    /// <summary>One epoch of batches of two on the CPU, seed 5, one batch prefetched, a shuffle pool of four.</summary>
    public static T OneEpoch<T>(T options) where T : VideoTrainerOptionsBase
    {
        options.Epochs = 1;
        options.BatchSize = 2;
        options.Device = "cpu";
        options.Seed = 5;
        options.PrefetchBatches = 1;
        options.ShufflePoolSize = 4;
        return options;
    }

    /// <summary>S3D or S3D-G at 1/64 of the width; clips [3, 8, H, W].</summary>
    public static S3DTrainer.Options S3D(S3DVariant variant)
        => OneEpoch(new S3DTrainer.Options { Variant = variant, WidthMultiplier = 1.0 / 64 });

    /// <summary>MoViNet-A0 at 1/16 of the width, a 16-channel classifier.</summary>
    public static MoViNetTrainer.Options MoViNet(MoViNetMode mode, bool temporalEnsemble = false)
        => OneEpoch(new MoViNetTrainer.Options { Mode = mode, TemporalEnsemble = temporalEnsemble, WidthMultiplier = 1.0 / 16, ClassifierHiddenChannels = 16 });

    /// <summary>TSM-ResNet-18 at 1/64 of the width, plain or with cumulative clustering into two clusters.</summary>
    public static TsmTrainer.Options Tsm(bool clustered)
    {
        var options = new TsmTrainer.Options { Depth = TsmDepth.ResNet18, WidthMultiplier = 1.0 / 64 };
        if (clustered)
        {
            options.Clustering = TsmClustering.Cumulative;
            options.ClusterCount = 2;
        }
        return OneEpoch(options);
    }

    /// <summary>AF-ResNet-18 at 1/64 of the width.</summary>
    public static AFNetTrainer.Options AFNet()
        => OneEpoch(new AFNetTrainer.Options { Depth = AFNetDepth.ResNet18, WidthMultiplier = 1.0 / 64 });

    /// <summary>EVL with one backbone and one decoder head, reading CLIP features from the column "Frames".</summary>
    public static EvlTrainer.Options Evl()
        => OneEpoch(new EvlTrainer.Options { ClipColumnName = "Frames", BackboneHeads = 1, DecoderHeads = 1 });
}
