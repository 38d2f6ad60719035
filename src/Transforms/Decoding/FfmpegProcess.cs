using System.Diagnostics;
using System.Text;

namespace MLNetVideo.Transforms.Decoding;

/// <summary>One ffmpeg/ffprobe child process: argument list, stdin text (or closed stdin), stdout read into caller buffers,
/// the last stderr lines kept for error messages, a deadline and cancellation that kill the process tree.</summary>
internal sealed class FfmpegProcess : IDisposable
{
    private const int StderrLines = 20;
    private readonly Process _process;
    private readonly Stream _stdout;
    private readonly Queue<string> _stderr = new();
    private readonly CancellationTokenSource _deadline;
    private readonly CancellationToken _cancellation;
    private readonly CancellationTokenRegistration _registration;
    private readonly TimeSpan _timeout;
    private readonly string _path;
    private int _killed;
    private int _disposed;

    private FfmpegProcess(Process process, TimeSpan timeout, string path, CancellationToken cancellation)
    {
        _process = process;
        _stdout = process.StandardOutput.BaseStream;
        _timeout = timeout;
        _path = path;
        _cancellation = cancellation;
        _deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        _deadline.CancelAfter(timeout);
        _registration = _deadline.Token.Register(Kill);
    }

    /// <summary>Number of decoder processes currently running (started and not yet disposed).</summary>
    internal static int Running => _running;

    /// <summary>Decoder processes started in this process so far (tests).</summary>
    internal static long Started => Interlocked.Read(ref _started);

    private static int _running;
    private static long _started;

    public static FfmpegProcess Start(string executable, IEnumerable<string> arguments, string? stdin, TimeSpan timeout, string path,
        CancellationToken cancellation)
        => Start(executable, arguments, stdin is null ? null : s => s.Write(Encoding.UTF8.GetBytes(stdin)), timeout, path, cancellation);

    public static FfmpegProcess Start(string executable, IEnumerable<string> arguments, Action<Stream>? stdin, TimeSpan timeout, string path,
        CancellationToken cancellation)
    {
        cancellation.ThrowIfCancellationRequested();
        var info = new ProcessStartInfo(executable)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            CreateNoWindow = true,
        };
        foreach (var argument in arguments)
            info.ArgumentList.Add(argument);
        var process = new Process { StartInfo = info };
        FfmpegProcess? wrapper = null;
        process.ErrorDataReceived += (_, e) => wrapper?.AddStderr(e.Data);
        try
        {
            if (!process.Start())
                throw new InvalidOperationException("Process.Start returned false.");
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            process.Dispose();
            throw new VideoDecodingException(VideoDecodingFailure.DecoderUnavailable, path,
                $"could not start '{executable}' ({e.Message}). Install FFmpeg (Debian/Ubuntu: apt-get install ffmpeg) or name the programs with VideoDecoding.FfmpegPath/FfprobePath or MLNETVIDEO_FFMPEG/MLNETVIDEO_FFPROBE.", inner: e);
        }
        Interlocked.Increment(ref _running);
        Interlocked.Increment(ref _started);
        wrapper = new FfmpegProcess(process, timeout, path, cancellation);
        process.BeginErrorReadLine();
        try
        {
            if (stdin is not null)
            {
                stdin(process.StandardInput.BaseStream);
                process.StandardInput.BaseStream.Flush();
            }
            process.StandardInput.Close();
        }
        catch (IOException)
        {
            // The program exited before reading all its input; its stderr says why.
        }
        return wrapper;
    }

    private void AddStderr(string? line)
    {
        if (string.IsNullOrWhiteSpace(line)) return;
        lock (_stderr)
        {
            _stderr.Enqueue(line.Trim());
            while (_stderr.Count > StderrLines) _stderr.Dequeue();
        }
    }

    /// <summary>Closing lines ffmpeg prints after the real error; the line before them says more.</summary>
    private static readonly string[] GenericLines =
        ["Error marking filters as finished", "Conversion failed!", "Cannot determine format of input stream", "Nothing was written into output file"];

    /// <summary>The decoder's last informative stderr line, or an empty string.</summary>
    public string LastError
    {
        get
        {
            lock (_stderr)
            {
                var lines = _stderr.ToArray();
                return lines.LastOrDefault(l => !GenericLines.Any(g => l.StartsWith(g, StringComparison.Ordinal))) ?? lines.LastOrDefault() ?? "";
            }
        }
    }

    /// <summary>When the decoder refused a demuxer that is not allowed: why, in words; otherwise null.</summary>
    private string? RefusedFormat()
    {
        string[] lines;
        lock (_stderr)
            lines = _stderr.ToArray();
        int at = Array.FindIndex(lines, l => l.Contains("Format not on whitelist", StringComparison.Ordinal));
        if (at < 0)
            return null;
        // "[hls @ 0x55d…] Format not on whitelist '…'": the demuxer that was refused comes first.
        string line = lines[at];
        string format = line.StartsWith('[') && line.IndexOf(" @", StringComparison.Ordinal) is int end and > 1 ? line[1..end] : "unknown";
        if (line.Contains(VideoDecoding.FrameImageFormats, StringComparison.Ordinal))
        {
            string? image = lines.Skip(at + 1).FirstOrDefault(l => l.Contains("Impossible to open", StringComparison.Ordinal));
            return $"a frame image has '{format}' content, not PNG, JPEG or BMP ({image ?? line}); frame images are read by their content, never as playlists or scripts.";
        }
        return $"its content is in the '{format}' format, which is refused: playlists and concat scripts make the decoder open other files. " +
               $"Read only files you trust this way, by adding '{format}' to VideoDecoding.ContainerFormats.";
    }

    /// <summary>Restarts the deadline (streaming: the timeout applies per frame).</summary>
    public void ResetDeadline()
    {
        if (!_deadline.IsCancellationRequested)
            _deadline.CancelAfter(_timeout);
    }

    /// <summary>Fills <paramref name="buffer"/> with the next frame; false at a clean end of stream.</summary>
    public bool ReadFrame(byte[] buffer)
    {
        int filled = 0;
        while (filled < buffer.Length)
        {
            int read;
            try
            {
                read = _stdout.Read(buffer, filled, buffer.Length - filled);
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException)
            {
                read = 0;
            }
            if (read == 0)
            {
                ThrowIfStopped();
                if (filled == 0) return false;
                WaitForExit();
                throw Failure(VideoDecodingFailure.InvalidData, $"the decoder stopped in the middle of a frame ({filled} of {buffer.Length} bytes)");
            }
            filled += read;
        }
        return true;
    }

    /// <summary>Reads stdout to the end (at most <paramref name="maxBytes"/>).</summary>
    public string ReadAllText(int maxBytes)
    {
        using var memory = new MemoryStream();
        var chunk = new byte[16384];
        int read;
        while ((read = SafeRead(chunk)) > 0)
        {
            memory.Write(chunk, 0, read);
            if (memory.Length > maxBytes)
            {
                Kill();
                throw Failure(VideoDecodingFailure.InvalidData, $"ffprobe printed more than {maxBytes} bytes");
            }
        }
        ThrowIfStopped();
        return Encoding.UTF8.GetString(memory.GetBuffer(), 0, (int)memory.Length);
    }

    private int SafeRead(byte[] chunk)
    {
        try
        {
            return _stdout.Read(chunk, 0, chunk.Length);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            return 0;
        }
    }

    /// <summary>Waits for the process to end (bounded by the deadline) and returns its exit code.</summary>
    public int WaitForExit()
    {
        if (!_process.WaitForExit(_timeout))
            Kill();
        _process.WaitForExit();
        ThrowIfStopped();
        return _process.ExitCode;
    }

    private void ThrowIfStopped()
    {
        if (_cancellation.IsCancellationRequested)
            throw new OperationCanceledException($"Decoding '{_path}' was cancelled.", _cancellation);
        if (Volatile.Read(ref _killed) != 0 && _deadline.IsCancellationRequested)
            throw new VideoDecodingException(VideoDecodingFailure.Timeout, _path,
                $"the decoder did not finish within DecodeTimeout = {_timeout.TotalSeconds:0.###} s and was stopped. Raise DecodeTimeout for very long or large videos.");
    }

    /// <summary>An exception carrying the decoder's last stderr line.</summary>
    public VideoDecodingException Failure(VideoDecodingFailure failure, string what)
    {
        // Let the stderr reader catch up with a process that has just exited.
        if (_process.HasExited) _process.WaitForExit();
        if (RefusedFormat() is { } refused)
            return new VideoDecodingException(VideoDecodingFailure.Unsupported, _path, refused);
        string error = LastError;
        if (error.Contains("Decoder (codec", StringComparison.Ordinal) || error.Contains("codec not currently supported", StringComparison.OrdinalIgnoreCase)
            || error.Contains("unsupported codec", StringComparison.OrdinalIgnoreCase))
            failure = VideoDecodingFailure.Unsupported;
        return new VideoDecodingException(failure, _path, error.Length > 0 ? $"{what}; decoder says: {error}" : what + ".");
    }

    private void Kill()
    {
        Interlocked.Exchange(ref _killed, 1);
        try
        {
            if (!_process.HasExited)
                _process.Kill(entireProcessTree: true);
        }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception or NotSupportedException)
        {
            // Already gone.
        }
    }

    /// <summary>Kills the process tree now (not reported as a timeout).</summary>
    public void Stop() => Kill();

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        _registration.Dispose();
        try
        {
            if (!_process.HasExited)
            {
                Kill();
                _process.WaitForExit();
            }
        }
        catch (InvalidOperationException)
        {
        }
        _deadline.Dispose();
        _process.Dispose();
        Interlocked.Decrement(ref _running);
    }
}
