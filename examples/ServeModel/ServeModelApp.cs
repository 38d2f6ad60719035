using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;
using MLNetVideo.Transforms.Datasets;
using MLNetVideo.Transforms.Decoding;

namespace ServeModel;

/// <summary>
/// The web app: <c>GET /health</c>, <c>POST /predict</c> (multipart upload, field name free, one video file) and, with a
/// VideoFolder, <c>POST /predict/path</c> (<c>{"path": "up/000.mp4"}</c>). Answers are JSON: <c>{"label", "score", "top": [{"label", "score"}]}</c>;
/// errors are RFC 7807 problem details: 400 no video in the request, 403 a path outside the folder, 404 no such video,
/// 413 upload too large or (uploads) video too long, 415 not a multipart upload of a video, 422 not a readable video, 503 the decoder timed out.
/// </summary>
public static class ServeModelApp
{
    private static readonly Dictionary<string, string> Switches = new()
    {
        ["--model"] = "ServeModel:ModelPath", ["--video-folder"] = "ServeModel:VideoFolder",
    };

    /// <summary>Builds the app; the model is loaded here, so a bad zip stops start-up with the reason.</summary>
    /// <param name="args">Command-line arguments (<c>--model FILE</c>, <c>--video-folder DIR</c>, <c>--urls URL</c>, any <c>--ServeModel:Name=value</c>).</param>
    /// <param name="configure">Changes to the settings after configuration is read (tests use it).</param>
    /// <returns>The app, not yet started.</returns>
    public static WebApplication Build(string[] args, Action<ServeModelOptions>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(args);
        builder.Configuration.AddCommandLine(args, Switches);
        var options = builder.Configuration.GetSection("ServeModel").Get<ServeModelOptions>() ?? new ServeModelOptions();
        configure?.Invoke(options);
        options.Validate();

        // Kestrel's own cap sits above the upload limit (multipart framing, and room to read an oversized upload to its
        // end so the client gets the 413 instead of a reset connection); SaveAsync enforces the exact limit.
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = 2 * options.MaxUploadBytes + (1 << 20));
        builder.Services.AddProblemDetails();
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(_ => new UploadFolder(options.UploadRoot));
        builder.Services.AddSingleton(s => new VideoClassifierService(options, s.GetRequiredService<UploadFolder>().Path));
        var app = builder.Build();
        try
        {
            app.Services.GetRequiredService<VideoClassifierService>();
        }
        catch
        {
            ((IDisposable)app).Dispose();   // removes the upload folder created for it
            throw;
        }

        app.MapGet("/health", (VideoClassifierService model) => Results.Ok(new
        {
            status = "ok", model = Path.GetFileName(model.ModelPath), classes = model.ClassNames, predictions = model.PredictionCount,
        }));
        app.MapPost("/predict", PredictUploadAsync);
        if (options.VideoFolder is not null)
            app.MapPost("/predict/path", PredictPathAsync);
        return app;
    }

    /// <summary>The body of <c>POST /predict/path</c>.</summary>
    /// <param name="Path">The video, relative to the configured VideoFolder.</param>
    public sealed record PathRequest(string? Path);

    private static async Task<IResult> PredictPathAsync(PathRequest request, VideoClassifierService model, ServeModelOptions options, CancellationToken cancellation)
    {
        if (string.IsNullOrWhiteSpace(request.Path))
            return Problem(StatusCodes.Status400BadRequest, "Send {\"path\": \"relative/path/to/video.mp4\"}.");
        string folder = Path.GetFullPath(options.VideoFolder!);
        try
        {
            // The engine resolves the path inside the folder (links included) before anything is read.
            return Results.Ok(await model.PredictAsync(request.Path, fromUploads: false, cancellation));
        }
        catch (VideoDecodingException e)
        {
            return FromFailure(e, folder);
        }
    }

    private static async Task<IResult> PredictUploadAsync(HttpRequest request, VideoClassifierService model, UploadFolder uploads,
        ServeModelOptions options, CancellationToken cancellation)
    {
        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var type) || !type.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase)
            || HeaderUtilities.RemoveQuotes(type.Boundary).Value is not { Length: > 0 and <= 200 } boundary)
            return Problem(StatusCodes.Status415UnsupportedMediaType, "Send the video as multipart/form-data (curl -F video=@clip.mp4).");
        string? saved = null;
        try
        {
            var reader = new MultipartReader(boundary, request.Body) { HeadersLengthLimit = 16 << 10 };
            for (var section = await reader.ReadNextSectionAsync(cancellation); section is not null; section = await reader.ReadNextSectionAsync(cancellation))
            {
                if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition) || !disposition.IsFileDisposition())
                    continue;
                string fileName = HeaderUtilities.RemoveQuotes(disposition.FileNameStar.HasValue ? disposition.FileNameStar : disposition.FileName).Value ?? "";
                string extension = Path.GetExtension(fileName).ToLowerInvariant();
                string contentType = section.ContentType ?? "application/octet-stream";
                if (!VideoDataset.DefaultExtensions.Contains(extension)
                    || !(contentType.StartsWith("video/", StringComparison.OrdinalIgnoreCase) || contentType.Equals("application/octet-stream", StringComparison.OrdinalIgnoreCase)))
                    return Problem(StatusCodes.Status415UnsupportedMediaType,
                        $"'{Path.GetFileName(fileName)}' ({contentType}) is not a video: send video/* or application/octet-stream with one of {string.Join(", ", VideoDataset.DefaultExtensions)}.");
                saved = await uploads.SaveAsync(section.Body, extension, options.MaxUploadBytes, cancellation);
                if (saved is null)
                    return Problem(StatusCodes.Status413PayloadTooLarge, $"The upload is larger than {options.MaxUploadBytes} bytes.");
                model.CheckDuration(Path.Combine(uploads.Path, saved));
                return Results.Ok(await model.PredictAsync(saved, fromUploads: true, cancellation));
            }
            return Problem(StatusCodes.Status400BadRequest, "The request has no file part: send the video as a file (curl -F video=@clip.mp4).");
        }
        catch (Exception e) when (e is VideoDecodingException or VideoTooLongException)
        {
            return FromFailure(e, uploads.Path);
        }
        catch (BadHttpRequestException e)
        {
            return Problem(e.StatusCode, e.Message);
        }
        catch (InvalidDataException e)
        {
            // MultipartReader: malformed framing or headers over the limit.
            return Problem(StatusCodes.Status400BadRequest, $"The multipart body cannot be read: {e.Message}");
        }
        finally
        {
            if (saved is not null)
                uploads.Delete(saved);
        }
    }

    private static IResult FromFailure(Exception e, string folder)
    {
        if (e is VideoTooLongException)
            return Problem(StatusCodes.Status413PayloadTooLarge, e.Message);
        var failure = (VideoDecodingException)e;
        int status = failure.Failure switch
        {
            VideoDecodingFailure.NotFound => StatusCodes.Status404NotFound,
            VideoDecodingFailure.OutsideVideoFolder => StatusCodes.Status403Forbidden,
            VideoDecodingFailure.TooLarge => StatusCodes.Status413PayloadTooLarge,
            VideoDecodingFailure.Timeout => StatusCodes.Status503ServiceUnavailable,
            VideoDecodingFailure.DecoderUnavailable => StatusCodes.Status500InternalServerError,
            _ => StatusCodes.Status422UnprocessableEntity,
        };
        // The reason may name server folders: never send them to the client.
        string reason = failure.Reason.Replace(folder, "<folder>", StringComparison.Ordinal);
        return Problem(status, $"{failure.Failure}: {reason}");
    }

    private static IResult Problem(int status, string detail) => Results.Problem(detail: detail, statusCode: status);
}
