namespace MLNetVideo.Transforms.Decoding;

/// <summary>Pure geometry of the spatial step: scaled size and crop windows. No pixels are touched here.</summary>
public static class SpatialTransform
{
    /// <summary>The size the decoder scales a <paramref name="width"/> × <paramref name="height"/> frame to.</summary>
    /// <param name="width">Source width.</param>
    /// <param name="height">Source height.</param>
    /// <param name="mode">Resize mode.</param>
    /// <param name="frameSize">Output square size.</param>
    /// <param name="shortSide">Short side after resizing (≥ <paramref name="frameSize"/>; only for <see cref="ResizeMode.ShortSideThenCrop"/>).</param>
    /// <returns>The scaled width and height.</returns>
    public static (int Width, int Height) ScaledSize(int width, int height, ResizeMode mode, int frameSize, int shortSide)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        if (mode == ResizeMode.Stretch)
            return (frameSize, frameSize);
        shortSide = Math.Max(shortSide, frameSize);
        return width <= height
            ? (shortSide, Math.Max(frameSize, (int)Math.Round((double)height * shortSide / width)))
            : (Math.Max(frameSize, (int)Math.Round((double)width * shortSide / height)), shortSide);
    }

    /// <summary>The crop windows of one clip: one centred or random window, or three along the long side
    /// (start, centre, end: mmaction2's <c>ThreeCrop</c>) for multi-view testing.</summary>
    /// <param name="scaledWidth">Scaled width.</param>
    /// <param name="scaledHeight">Scaled height.</param>
    /// <param name="frameSize">Crop size.</param>
    /// <param name="crops">1 or 3.</param>
    /// <param name="random">A generator for a random window (training, one crop), or null.</param>
    /// <returns>The windows.</returns>
    public static CropWindow[] Crops(int scaledWidth, int scaledHeight, int frameSize, int crops, Random? random)
    {
        int roomX = scaledWidth - frameSize, roomY = scaledHeight - frameSize;
        if (roomX < 0 || roomY < 0)
            throw new ArgumentOutOfRangeException(nameof(frameSize), frameSize, $"A {frameSize}-pixel crop does not fit a {scaledWidth}×{scaledHeight} frame.");
        if (crops == 1)
            return random is null
                ? [new CropWindow(roomX / 2, roomY / 2, frameSize, frameSize)]
                : [new CropWindow(random.Next(roomX + 1), random.Next(roomY + 1), frameSize, frameSize)];
        if (crops != 3)
            throw new ArgumentOutOfRangeException(nameof(crops), crops, $"crops must be 1 or 3; got {crops}.");
        return roomX >= roomY
            ? [new(0, roomY / 2, frameSize, frameSize), new(roomX / 2, roomY / 2, frameSize, frameSize), new(roomX, roomY / 2, frameSize, frameSize)]
            : [new(roomX / 2, 0, frameSize, frameSize), new(roomX / 2, roomY / 2, frameSize, frameSize), new(roomX / 2, roomY, frameSize, frameSize)];
    }

    /// <summary>Writes one cropped, optionally flipped and normalized RGB24 frame into a clip tensor.</summary>
    /// <param name="rgb">The scaled frame, rows of <paramref name="frameWidth"/> × 3 bytes.</param>
    /// <param name="frameWidth">Width of <paramref name="rgb"/>.</param>
    /// <param name="window">The crop window.</param>
    /// <param name="flip">Mirror left-right.</param>
    /// <param name="lookup">Byte → float tables per output channel.</param>
    /// <param name="destination">The clip tensor.</param>
    /// <param name="channelOffsets">Offset in <paramref name="destination"/> of plane (c) of this frame, per output channel.</param>
    internal static void WriteFrame(ReadOnlySpan<byte> rgb, int frameWidth, CropWindow window, bool flip, PixelLookup lookup,
        Span<float> destination, ReadOnlySpan<long> channelOffsets)
    {
        int w = window.Width, h = window.Height, plane = w * h;
        if (window.X < 0 || window.Y < 0 || window.X + w > frameWidth || (long)(window.Y + h) * frameWidth * 3 > rgb.Length)
            throw new ArgumentOutOfRangeException(nameof(window), window, "The crop window does not fit the frame.");
        // One pass over the pixels writes all three planes (Slice checks every plane's bounds once).
        var p0 = destination.Slice(checked((int)channelOffsets[0]), plane);
        var p1 = destination.Slice(checked((int)channelOffsets[1]), plane);
        var p2 = destination.Slice(checked((int)channelOffsets[2]), plane);
        ReadOnlySpan<float> t0 = lookup.Tables[0], t1 = lookup.Tables[1], t2 = lookup.Tables[2];
        int s0 = lookup.SourceChannel[0], s1 = lookup.SourceChannel[1], s2 = lookup.SourceChannel[2];
        for (int y = 0; y < h; y++)
        {
            var row = rgb.Slice(((window.Y + y) * frameWidth + window.X) * 3, w * 3);
            var d0 = p0.Slice(y * w, w);
            var d1 = p1.Slice(y * w, w);
            var d2 = p2.Slice(y * w, w);
            for (int x = 0, i = 0; x < w; x++, i += 3)
            {
                int target = flip ? w - 1 - x : x;
                d0[target] = t0[row[i + s0]];
                d1[target] = t1[row[i + s1]];
                d2[target] = t2[row[i + s2]];
            }
        }
    }
}
