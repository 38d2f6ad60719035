namespace MLNetVideo.Transforms.Decoding;

/// <summary>A crop window in the scaled frame, in pixels.</summary>
/// <param name="X">Left column.</param>
/// <param name="Y">Top row.</param>
/// <param name="Width">Width.</param>
/// <param name="Height">Height.</param>
public readonly record struct CropWindow(int X, int Y, int Width, int Height);
