namespace MLNetVideo.Trainers.S3D;

/// <summary>
/// Multiply-accumulate count of one forward pass of an S3D / S3D-G network, computed from the layer shapes of a
/// <see cref="S3DSpec"/> (TorchSharp has no forward hooks to count them at run time). Convolutions, the self-gating
/// Linear layers and the classifier are counted; batch norm, ReLU, pooling and the gate multiplication are not
/// (the convention of fvcore and of torchvision's "GFLOPS" column, which is in fact GMACs).
/// </summary>
public static class S3DCost
{
    /// <summary>MACs for one clip of <paramref name="frames"/> × <paramref name="height"/> × <paramref name="width"/>.</summary>
    /// <param name="spec">The architecture.</param>
    /// <param name="frames">Frames per clip.</param>
    /// <param name="height">Frame height.</param>
    /// <param name="width">Frame width.</param>
    /// <returns>Multiply-accumulates per clip (one FLOP pair each).</returns>
    public static long MultiplyAccumulates(S3DSpec spec, int frames, int height, int width)
    {
        ArgumentNullException.ThrowIfNull(spec);
        spec.Validate();
        bool gated = spec.Variant == S3DVariant.S3DG;
        var (c1a, c2b, c2c, blocks) = spec.Widths();
        long Kt(int layer, long k) => layer >= spec.TemporalStartLayer ? k : 1;
        long t = frames, h = height, w = width, macs = 0;

        // 0: SepConv 3→c1a, k7, stride 2, pad 3.
        h = Out(h, 7, 2, 3); w = Out(w, 7, 2, 3);
        macs += c1a * t * h * w * 3 * 49;
        long kt0 = Kt(0, 7);
        t = Out(t, kt0, 2, kt0 == 7 ? 3 : kt0 / 2);
        macs += c1a * t * h * w * c1a * kt0;
        // 1: MaxPool (1,3,3) s(1,2,2) p(0,1,1).
        h = Out(h, 3, 2, 1); w = Out(w, 3, 2, 1);
        // 2: BasicConv 1×1×1.
        macs += c2b * t * h * w * c1a;
        // 3: SepConv 3.
        macs += c2c * t * h * w * c2b * 9 + c2c * t * h * w * c2c * Kt(3, 3);
        if (gated) macs += (long)c2c * c2c;
        // 4: MaxPool (1,3,3) s(1,2,2).
        h = Out(h, 3, 2, 1); w = Out(w, 3, 2, 1);

        long channels = c2c;
        for (int b = 0; b < blocks.Length; b++)
        {
            int index = S3DSpecs.MixedLayerIndices[b];
            if (index == 8) { t = Out(t, 3, 2, 1); h = Out(h, 3, 2, 1); w = Out(w, 3, 2, 1); }      // 7: MaxPool 3 s2 p1
            if (index == 14) { t = Out(t, 2, 2, 0); h = Out(h, 2, 2, 0); w = Out(w, 2, 2, 0); }     // 13: MaxPool 2 s2
            var x = blocks[b];
            long kt = Kt(index, 3), volume = t * h * w;
            macs += volume * channels * x.Branch0;
            macs += volume * channels * x.Branch1Reduce + volume * x.Branch1 * x.Branch1Reduce * 9 + volume * x.Branch1 * x.Branch1 * kt;
            macs += volume * channels * x.Branch2Reduce + volume * x.Branch2 * x.Branch2Reduce * 9 + volume * x.Branch2 * x.Branch2 * kt;
            macs += volume * channels * x.Branch3;
            if (gated)
                macs += (long)x.Branch0 * x.Branch0 + (long)x.Branch1 * x.Branch1 + (long)x.Branch2 * x.Branch2 + (long)x.Branch3 * x.Branch3;
            channels = x.Output;
        }
        // Head: average over H×W and a temporal window of min(2, T), then the 1×1×1 classifier at each remaining step.
        long remaining = t - Math.Min(2, t) + 1;
        macs += remaining * channels * spec.NumClasses;
        return macs;
    }

    private static long Out(long size, long kernel, long stride, long padding)
    {
        long result = ((size + (2 * padding) - kernel) / stride) + 1;
        if (result < 1)
            throw new ArgumentException($"The clip is too small for S3D: a layer with kernel {kernel} and stride {stride} gets {size} positions. " +
                $"Use at least {S3DSpecs.MinFrames} frames of {S3DSpecs.MinFrameSize}×{S3DSpecs.MinFrameSize}.");
        return result;
    }
}
