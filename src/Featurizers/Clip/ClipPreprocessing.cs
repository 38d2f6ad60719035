using System.Globalization;
using System.Text.Json;

namespace MLNetVideo.Featurizers.Clip;

/// <summary>CLIP preprocessing: resize the short side (bicubic), centre crop, scale to [0, 1] inputs, then (x − mean) / std.</summary>
/// <param name="ImageSize">Crop side (and short side after resizing).</param>
/// <param name="Mean">Per-channel RGB mean.</param>
/// <param name="Std">Per-channel RGB standard deviation.</param>
public sealed record ClipPreprocessing(int ImageSize, float[] Mean, float[] Std)
{
    /// <summary>OpenAI CLIP mean (0.48145466, 0.4578275, 0.40821073).</summary>
    public static IReadOnlyList<float> OpenAIMean { get; } = [0.48145466f, 0.4578275f, 0.40821073f];

    /// <summary>OpenAI CLIP std (0.26862954, 0.26130258, 0.27577711).</summary>
    public static IReadOnlyList<float> OpenAIStd { get; } = [0.26862954f, 0.26130258f, 0.27577711f];

    /// <summary>The OpenAI preprocessing for a tower of <paramref name="imageSize"/> pixels.</summary>
    /// <param name="imageSize">Input side.</param>
    /// <returns>The preprocessing.</returns>
    public static ClipPreprocessing OpenAI(int imageSize) => new(imageSize, [.. OpenAIMean], [.. OpenAIStd]);

    /// <summary>Applies the preprocessing to frames [N, 3, H, W] with values in [0, 1]: when the frames are not already
    /// <see cref="ImageSize"/>², resizes the short side to it (bicubic) and centre crops; then (x − mean) / std.</summary>
    /// <param name="frames">The frames.</param>
    /// <param name="preprocessing">The preprocessing.</param>
    /// <returns>Normalised images [N, 3, ImageSize, ImageSize] on the frames' device.</returns>
    public static TorchSharp.torch.Tensor Apply(TorchSharp.torch.Tensor frames, ClipPreprocessing preprocessing)
    {
        ArgumentNullException.ThrowIfNull(frames);
        ArgumentNullException.ThrowIfNull(preprocessing);
        var x = frames;
        int size = preprocessing.ImageSize;
        long h = x.shape[2], w = x.shape[3];
        if (h != size || w != size)
        {
            double scale = (double)size / Math.Min(h, w);
            long nh = Math.Max(size, (long)Math.Round(h * scale)), nw = Math.Max(size, (long)Math.Round(w * scale));
            if (nh != h || nw != w)
                x = TorchSharp.torch.nn.functional.interpolate(x, [nh, nw], mode: TorchSharp.torch.InterpolationMode.Bicubic, align_corners: false);
            long top = (nh - size) / 2, left = (nw - size) / 2;
            x = x.narrow(2, top, size).narrow(3, left, size);
        }
        var mean = TorchSharp.torch.tensor(preprocessing.Mean, device: x.device).view(1, 3, 1, 1);
        var std = TorchSharp.torch.tensor(preprocessing.Std, device: x.device).view(1, 3, 1, 1);
        return (x - mean) / std;
    }

    /// <summary>Reads preprocessing from weights metadata (safetensors <c>__metadata__</c>, or the fields of a Hugging Face
    /// <c>preprocessor_config.json</c>): keys <c>image_mean</c> and <c>image_std</c> (JSON arrays of 3 numbers) and
    /// <c>crop_size</c> (a number or <c>{"height": h, "width": w}</c>). Missing keys fall back to the OpenAI values.</summary>
    /// <param name="metadata">Metadata strings.</param>
    /// <param name="imageSize">The tower's input side (the default crop).</param>
    /// <returns>The preprocessing.</returns>
    /// <exception cref="InvalidDataException">A present key does not parse, or crop_size disagrees with the tower.</exception>
    public static ClipPreprocessing FromMetadata(IReadOnlyDictionary<string, string> metadata, int imageSize)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        float[] Triple(string key, IReadOnlyList<float> fallback)
        {
            if (!metadata.TryGetValue(key, out var text)) return [.. fallback];
            try
            {
                var values = JsonSerializer.Deserialize<float[]>(text);
                if (values is { Length: 3 } && (key != "image_std" || values.All(v => v > 0))) return values;
            }
            catch (JsonException)
            {
            }
            throw new InvalidDataException($"Weights metadata '{key}' must be a JSON array of 3 numbers (std > 0); got '{text}'.");
        }
        int crop = imageSize;
        if (metadata.TryGetValue("crop_size", out var cropText))
        {
            using var doc = JsonDocument.Parse(cropText);
            crop = doc.RootElement.ValueKind == JsonValueKind.Object
                ? doc.RootElement.GetProperty("height").GetInt32()
                : int.Parse(cropText, CultureInfo.InvariantCulture);
            if (crop != imageSize)
                throw new InvalidDataException($"Weights metadata crop_size {crop} disagrees with the tower's input size {imageSize}.");
        }
        return new ClipPreprocessing(crop, Triple("image_mean", OpenAIMean), Triple("image_std", OpenAIStd));
    }
}
