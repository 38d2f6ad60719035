using Microsoft.ML.Data;
using static TorchSharp.torch;

namespace MLNetVideo;

/// <summary>Shape of the clips in a clip column: views per row and one view's [C, T, H, W] (whatever the column layout).</summary>
/// <param name="Views">Views (clips) per row; 1 for a rank-4 column.</param>
/// <param name="Channels">Channels (3 for RGB).</param>
/// <param name="Frames">Frames per clip.</param>
/// <param name="Height">Frame height.</param>
/// <param name="Width">Frame width.</param>
/// <param name="Layout">Order of one view's dimensions in the column.</param>
public sealed record ClipGeometry(int Views, int Channels, int Frames, int Height, int Width, ClipLayout Layout)
{
    /// <summary>Floats in one view.</summary>
    public int ViewSize => Channels * Frames * Height * Width;

    /// <summary>Floats in one row (all views).</summary>
    public int RowSize => Views * ViewSize;

    /// <summary>One view's dimensions in column order.</summary>
    /// <returns>[C, T, H, W] or [T, C, H, W].</returns>
    public long[] ViewDimensions() => Layout == ClipLayout.Cthw
        ? [Channels, Frames, Height, Width]
        : [Frames, Channels, Height, Width];

    /// <summary>Reads the geometry from a column type: a known-size float vector of rank 4 (one view) or 5 (views first).</summary>
    /// <param name="type">The column type.</param>
    /// <param name="layout">The dimension order of one view.</param>
    /// <returns>The geometry, or null when the type does not qualify.</returns>
    public static ClipGeometry? TryFrom(DataViewType type, ClipLayout layout)
    {
        if (type is not VectorDataViewType { IsKnownSize: true } vector || vector.ItemType != NumberDataViewType.Single)
            return null;
        var d = vector.Dimensions;
        if (d.Length is not (4 or 5))
            return null;
        int views = d.Length == 5 ? d[0] : 1;
        int o = d.Length - 4;
        return layout == ClipLayout.Cthw
            ? new ClipGeometry(views, d[o], d[o + 1], d[o + 2], d[o + 3], layout)
            : new ClipGeometry(views, d[o + 1], d[o], d[o + 2], d[o + 3], layout);
    }

    /// <summary>Whether another column carries views of the same per-view shape (any number of views).</summary>
    /// <param name="other">The other geometry.</param>
    /// <returns>True when channels, frames, height, width and layout agree.</returns>
    public bool SameView(ClipGeometry other)
        => other.Channels == Channels && other.Frames == Frames && other.Height == Height && other.Width == Width && other.Layout == Layout;

    /// <summary>Builds the network input from <paramref name="clips"/> flat views, converting to the network's layout.</summary>
    /// <param name="data">Flat floats: <paramref name="clips"/> × <see cref="ViewSize"/>.</param>
    /// <param name="clips">Number of views in <paramref name="data"/>.</param>
    /// <param name="networkLayout">The layout the network takes.</param>
    /// <param name="device">Target device.</param>
    /// <returns>[N, C, T, H, W] or [N, T, C, H, W] on <paramref name="device"/> (in the caller's dispose scope).</returns>
    public Tensor ToTensor(float[] data, long clips, ClipLayout networkLayout, Device device)
    {
        var dims = ViewDimensions();
        var x = tensor(data, [clips, dims[0], dims[1], dims[2], dims[3]]);
        if (networkLayout != Layout)
            x = x.permute(0, 2, 1, 3, 4).contiguous();
        return device.type == TorchSharp.DeviceType.CPU ? x : x.to(device);
    }

    /// <summary>Readable shape, for messages.</summary>
    /// <returns>For example "2 views of [3, 8, 32, 32] (C, T, H, W)".</returns>
    public override string ToString()
        => $"{Views} view(s) of [{string.Join(", ", ViewDimensions())}] ({(Layout == ClipLayout.Cthw ? "C, T, H, W" : "T, C, H, W")})";
}
