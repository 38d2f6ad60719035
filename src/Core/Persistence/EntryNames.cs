namespace MLNetVideo.Persistence;

/// <summary>Entry names stay inside the transformer's folder: no separators, no "..".</summary>
internal static class EntryNames
{
    public static bool IsValid(string name)
        => !string.IsNullOrEmpty(name) && name.Length <= 100 && !name.Contains("..", StringComparison.Ordinal)
            && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-');

    public static void Validate(string name)
    {
        if (!IsValid(name))
            throw new ArgumentException($"Model entry name '{name}' is not allowed: use 1-100 letters, digits, '.', '_' or '-', without '..'.", nameof(name));
    }
}
