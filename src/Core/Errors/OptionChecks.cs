namespace MLNetVideo.Errors;

/// <summary>Option validation with messages that name the property as the user writes it, the value and the rule.</summary>
internal static class OptionChecks
{
    /// <summary>Throws unless <paramref name="value"/> &gt; 0.</summary>
    /// <param name="value">The value.</param>
    /// <param name="name">The option name.</param>
    public static void Positive(long value, string name)
    {
        if (value <= 0)
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be positive; got {value}.");
    }

    /// <summary>Throws unless <paramref name="value"/> &gt; 0 and finite.</summary>
    /// <param name="value">The value.</param>
    /// <param name="name">The option name.</param>
    public static void Positive(double value, string name)
    {
        if (!(value > 0) || double.IsInfinity(value))
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be a positive number; got {value}.");
    }

    /// <summary>Throws unless <paramref name="value"/> &gt;= 0.</summary>
    /// <param name="value">The value.</param>
    /// <param name="name">The option name.</param>
    public static void NonNegative(double value, string name)
    {
        if (!(value >= 0) || double.IsInfinity(value))
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be zero or positive; got {value}.");
    }

    /// <summary>Throws unless <paramref name="min"/> &lt;= value &lt;= <paramref name="max"/>.</summary>
    /// <param name="value">The value.</param>
    /// <param name="min">Smallest allowed value.</param>
    /// <param name="max">Largest allowed value.</param>
    /// <param name="name">The option name.</param>
    public static void InRange(double value, double min, double max, string name)
    {
        if (!(value >= min && value <= max))
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be between {min} and {max}; got {value}.");
    }

    /// <summary>Throws unless the text is non-empty.</summary>
    /// <param name="value">The value.</param>
    /// <param name="name">The option name.</param>
    public static void NotEmpty(string? value, string name)
    {
        if (string.IsNullOrWhiteSpace(value))
            throw new ArgumentException($"{name} must be a non-empty string.", name);
    }

    /// <summary>Throws unless the enum value is defined.</summary>
    /// <typeparam name="T">The enum type.</typeparam>
    /// <param name="value">The value.</param>
    /// <param name="name">The option name.</param>
    public static void Defined<T>(T value, string name) where T : struct, Enum
    {
        if (!Enum.IsDefined(value))
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be one of {string.Join(", ", Enum.GetNames<T>())}; got {value}.");
    }
}
