using System.Buffers.Binary;
using System.Numerics;
using System.Text;

namespace MLNetVideo.Trainers.Common;

/// <summary>
/// Writes scalar summaries to a TensorBoard event file (<c>events.out.tfevents.*</c>), the file
/// <c>torch.utils.tensorboard.SummaryWriter</c> writes: TFRecord framing (little-endian length, masked CRC-32C of the length,
/// the bytes, masked CRC-32C of the bytes) around <c>tensorflow.Event</c> protocol buffers, the first carrying the file
/// version "brain.Event:2", the others a <c>Summary</c> of tagged <c>simple_value</c>s. Point <c>tensorboard --logdir</c> at the folder.
/// </summary>
/// <remarks>
/// TorchSharp 0.107 ships a <c>SummaryWriter</c> too, but it stamps events with .NET ticks (or 0) instead of Unix seconds,
/// which puts every point at a wrong wall time in TensorBoard's relative and wall-time views; this writer is small
/// and writes what TensorBoard expects. Each event is flushed when written, so a run that stops keeps what it logged.
/// </remarks>
internal sealed class TensorBoardEventWriter : IDisposable
{
    private static int s_fileCounter;
    private readonly FileStream _file;

    /// <summary>Creates the folder if needed and a new event file in it.</summary>
    /// <param name="logFolder">The log folder (one per run: TensorBoard shows each folder as a run).</param>
    /// <exception cref="IOException">The folder or the file cannot be created (the message names it).</exception>
    public TensorBoardEventWriter(string logFolder)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(logFolder);
        string folder = Path.GetFullPath(logFolder);
        string name = FormattableString.Invariant(
            $"events.out.tfevents.{DateTimeOffset.UtcNow.ToUnixTimeSeconds()}.{SafeHostName()}.{Environment.ProcessId}.{Interlocked.Increment(ref s_fileCounter)}");
        FilePath = Path.Combine(folder, name);
        try
        {
            Directory.CreateDirectory(folder);
            _file = new FileStream(FilePath, FileMode.CreateNew, FileAccess.Write, FileShare.Read);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"Could not create the TensorBoard event file '{FilePath}': {e.Message}", e);
        }
        var header = new List<byte>();
        WriteTag(header, 1, WireFixed64);
        AppendFixed64(header, BitConverter.DoubleToInt64Bits(UnixSeconds(DateTimeOffset.UtcNow)));
        WriteBytesField(header, 3, Encoding.UTF8.GetBytes("brain.Event:2"));
        WriteRecord([.. header]);
    }

    /// <summary>Full path of the event file.</summary>
    public string FilePath { get; }

    /// <summary>Writes one event with one scalar.</summary>
    /// <param name="tag">The chart name; '/' groups charts ("train/loss").</param>
    /// <param name="value">The value.</param>
    /// <param name="step">The x coordinate (here: the epoch).</param>
    public void AddScalar(string tag, float value, long step) => AddScalars([(tag, value)], step);

    /// <summary>Writes one event holding several scalars of the same step.</summary>
    /// <param name="values">Tag and value of each scalar.</param>
    /// <param name="step">The x coordinate.</param>
    /// <param name="time">Wall time of the event; <see langword="null"/>: now.</param>
    public void AddScalars(IEnumerable<(string Tag, float Value)> values, long step, DateTimeOffset? time = null)
    {
        ArgumentNullException.ThrowIfNull(values);
        var summary = new List<byte>();
        foreach (var (tag, value) in values)
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(tag);
            var item = new List<byte>();
            WriteBytesField(item, 1, Encoding.UTF8.GetBytes(tag));
            WriteTag(item, 2, WireFixed32);
            AppendFixed32(item, BitConverter.SingleToUInt32Bits(value));
            WriteBytesField(summary, 1, [.. item]);
        }
        var ev = new List<byte>();
        WriteTag(ev, 1, WireFixed64);
        AppendFixed64(ev, BitConverter.DoubleToInt64Bits(UnixSeconds(time ?? DateTimeOffset.UtcNow)));
        WriteTag(ev, 2, WireVarint);
        AppendVarint(ev, unchecked((ulong)step));
        WriteBytesField(ev, 5, [.. summary]);
        WriteRecord([.. ev]);
    }

    /// <summary>Closes the file.</summary>
    public void Dispose() => _file.Dispose();

    /// <summary>CRC-32C (Castagnoli) as TFRecord uses it, rotated and offset ("masked") so that a CRC of data holding CRCs stays robust.</summary>
    /// <param name="data">The bytes.</param>
    /// <returns>The masked checksum.</returns>
    public static uint MaskedCrc32C(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in data)
            crc = BitOperations.Crc32C(crc, b);
        crc = ~crc;
        return unchecked(((crc >> 15) | (crc << 17)) + 0xA282EAD8);
    }

    private void WriteRecord(byte[] data)
    {
        Span<byte> header = stackalloc byte[12];
        BinaryPrimitives.WriteUInt64LittleEndian(header, (ulong)data.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(header[8..], MaskedCrc32C(header[..8]));
        Span<byte> footer = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(footer, MaskedCrc32C(data));
        _file.Write(header);
        _file.Write(data);
        _file.Write(footer);
        _file.Flush(flushToDisk: false);
    }

    private const int WireVarint = 0, WireFixed64 = 1, WireBytes = 2, WireFixed32 = 5;

    private static void WriteTag(List<byte> buffer, int field, int wire) => AppendVarint(buffer, (ulong)((field << 3) | wire));

    private static void WriteBytesField(List<byte> buffer, int field, byte[] bytes)
    {
        WriteTag(buffer, field, WireBytes);
        AppendVarint(buffer, (ulong)bytes.Length);
        buffer.AddRange(bytes);
    }

    private static void AppendVarint(List<byte> buffer, ulong value)
    {
        while (value >= 0x80)
        {
            buffer.Add((byte)(value | 0x80));
            value >>= 7;
        }
        buffer.Add((byte)value);
    }

    private static void AppendFixed64(List<byte> buffer, long value)
    {
        Span<byte> bytes = stackalloc byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(bytes, value);
        buffer.AddRange(bytes);
    }

    private static void AppendFixed32(List<byte> buffer, uint value)
    {
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, value);
        buffer.AddRange(bytes);
    }

    private static double UnixSeconds(DateTimeOffset time) => time.ToUnixTimeMilliseconds() / 1000.0;

    // The host name goes into a file name: keep letters, digits, '-' and '.' only.
    private static string SafeHostName()
    {
        var name = new string(Environment.MachineName.Where(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.').ToArray());
        return name.Length > 0 ? name : "host";
    }
}
