namespace MLNetVideo.TestComponents;

/// <summary>Settings saved in the zip as JSON.</summary>
public sealed record TinyLinearSettings(string FeaturesColumn, string OutputColumn, int InFeatures, int Classes);
