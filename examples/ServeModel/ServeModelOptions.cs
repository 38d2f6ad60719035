namespace ServeModel;

/// <summary>Settings of the service: the "ServeModel" section of appsettings.json, environment variables
/// (<c>ServeModel__ModelPath</c>) or the command line (<c>--model</c>, <c>--video-folder</c>, <c>--ServeModel:TopK=5</c>).</summary>
public sealed class ServeModelOptions
{
    /// <summary>The model zip, loaded once at start-up. Default "out/model.zip" (what scripts/run-sample.sh writes).</summary>
    public string ModelPath { get; set; } = "out/model.zip";

    /// <summary>Folder that <c>POST /predict/path</c> reads videos from (paths must stay inside it); null (default): that endpoint is off.</summary>
    public string? VideoFolder { get; set; }

    /// <summary>Largest accepted upload in bytes (413 above). Default 100 MiB.</summary>
    public long MaxUploadBytes { get; set; } = 100L << 20;

    /// <summary>Longest accepted video in seconds (413 above), checked before the clip is decoded. Default 120.</summary>
    public double MaxVideoSeconds { get; set; } = 120;

    /// <summary>Longest time the decoder may take for one video (probe and decode separately). Default 60 s.</summary>
    public double DecodeTimeoutSeconds { get; set; } = 60;

    /// <summary>Classes returned in <c>top</c>. Default 3.</summary>
    public int TopK { get; set; } = 3;

    /// <summary>Videos decoded and scored at the same time (others wait); 0 (default): the processor count.</summary>
    public int MaxConcurrentPredictions { get; set; }

    /// <summary>Where the private upload folder is created; null (default): the system's temporary folder.</summary>
    public string? UploadRoot { get; set; }

    /// <summary>Throws with the setting's name when a value cannot work.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(ModelPath))
            throw new ArgumentException("ServeModel:ModelPath must name the model zip.");
        if (MaxUploadBytes <= 0 || !(MaxVideoSeconds > 0) || !(DecodeTimeoutSeconds > 0) || TopK <= 0 || MaxConcurrentPredictions < 0)
            throw new ArgumentException("ServeModel: MaxUploadBytes, MaxVideoSeconds, DecodeTimeoutSeconds and TopK must be positive and " +
                $"MaxConcurrentPredictions ≥ 0; got {MaxUploadBytes}, {MaxVideoSeconds}, {DecodeTimeoutSeconds}, {TopK}, {MaxConcurrentPredictions}.");
        if (VideoFolder is not null && !Directory.Exists(VideoFolder))
            throw new DirectoryNotFoundException($"ServeModel:VideoFolder '{Path.GetFullPath(VideoFolder)}' does not exist.");
    }
}
