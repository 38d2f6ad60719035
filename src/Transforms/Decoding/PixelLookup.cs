namespace MLNetVideo.Transforms.Decoding;

/// <summary>Lookup tables that turn a byte into its normalized float, per output channel.</summary>
internal sealed class PixelLookup
{
    private static readonly float[] ImageNetMean = [0.485f, 0.456f, 0.406f];
    private static readonly float[] ImageNetStd = [0.229f, 0.224f, 0.225f];
    private static readonly float[] ClipMean = [0.48145466f, 0.4578275f, 0.40821073f];
    private static readonly float[] ClipStd = [0.26862954f, 0.26130258f, 0.27577711f];

    /// <summary>Per output channel c: which RGB byte to read (0..2) and the table for it.</summary>
    public int[] SourceChannel { get; } = new int[3];

    public float[][] Tables { get; } = new float[3][];

    public PixelLookup(PixelNormalization normalization, ChannelOrder order, float[]? customMean, float[]? customStd)
    {
        var (mean, std) = MeanStd(normalization, customMean, customStd);
        for (int c = 0; c < 3; c++)
        {
            int rgb = order == ChannelOrder.Rgb ? c : 2 - c;
            SourceChannel[c] = rgb;
            var table = new float[256];
            for (int v = 0; v < 256; v++)
                table[v] = normalization switch
                {
                    PixelNormalization.ZeroToOne => v / 255f,
                    PixelNormalization.MinusOneToOne => v / 127.5f - 1f,
                    _ => (v / 255f - mean[rgb]) / std[rgb],
                };
            Tables[c] = table;
        }
    }

    /// <summary>Mean and std in RGB order for the presets that have them.</summary>
    public static (float[] Mean, float[] Std) MeanStd(PixelNormalization normalization, float[]? customMean, float[]? customStd)
        => normalization switch
        {
            PixelNormalization.ImageNet => (ImageNetMean, ImageNetStd),
            PixelNormalization.Clip => (ClipMean, ClipStd),
            PixelNormalization.Custom => (customMean ?? [0f, 0f, 0f], customStd ?? [1f, 1f, 1f]),
            _ => ([0f, 0f, 0f], [1f, 1f, 1f]),
        };
}
