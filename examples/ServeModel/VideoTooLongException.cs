namespace ServeModel;

/// <summary>A video longer than the service accepts.</summary>
public sealed class VideoTooLongException(double seconds, double limit)
    : Exception(FormattableString.Invariant($"the video lasts {seconds:F1} s; this service accepts at most {limit:G} s."));
