namespace MLNetVideo.Transforms.Datasets;

/// <summary>One record of a CSV file: the line it starts on, its fields, or why it cannot be read.</summary>
internal readonly record struct CsvRecord(int Line, string[] Fields, string? Error);
