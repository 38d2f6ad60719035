namespace MLNetVideo.Tests.TestSupport;

internal static class Exceptions
{
    /// <summary>ML.NET calls loaders through reflection; find our exception inside its wrappers.</summary>
    public static T? Find<T>(Exception e) where T : Exception
    {
        for (Exception? current = e; current is not null; current = current.InnerException)
            if (current is T match) return match;
        return null;
    }
}
