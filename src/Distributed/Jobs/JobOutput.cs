using System.Text;
using System.Text.Json;
using MLNetVideo.Persistence;

namespace MLNetVideo.Distributed.Jobs;

/// <summary>
/// A job's output folder: <c>job.json</c> (what the job is), <c>shards/NNNNNN.jsonl</c> (one file per finished shard) and
/// <c>results.jsonl</c> (all records in input order, written when every shard is in).
/// </summary>
/// <remarks>Exactly once: every video belongs to one shard (by position), and a shard file is committed by linking a
/// finished temporary file to its final name, which fails when the name exists — so when a shard was computed twice (its
/// silo was declared dead but still finished it), the first commit wins and the second is dropped. A shard file is
/// complete or absent, never partial, so a rerun resumes from the files that are there.</remarks>
public static class JobOutput
{
    /// <summary>The merged results file in an output folder.</summary>
    public const string ResultsFileName = "results.jsonl";

    private const string JobFileName = "job.json";
    private const string ShardFolderName = "shards";

    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>Reads the merged results of a finished job.</summary>
    /// <param name="outputFolder">The job's output folder.</param>
    /// <returns>One record per video, in input order.</returns>
    public static IReadOnlyList<VideoJobRecord> ReadResults(string outputFolder)
    {
        string path = Path.Combine(Path.GetFullPath(outputFolder), ResultsFileName);
        if (!File.Exists(path)) throw new FileNotFoundException($"'{path}' does not exist: the job has not finished.", path);
        return ReadLines(path);
    }

    /// <summary>Creates the folder and records the job in <c>job.json</c>, or checks that the job already recorded there is
    /// this one (then the run resumes).</summary>
    internal static void Prepare(VideoJob job)
    {
        string folder = job.OutputFolder;
        Directory.CreateDirectory(Path.Combine(folder, ShardFolderName));
        string path = Path.Combine(folder, JobFileName);
        string fingerprint = job.Fingerprint();
        if (File.Exists(path))
        {
            string recorded = File.ReadAllText(path);
            if (!string.Equals(recorded, fingerprint, StringComparison.Ordinal))
                throw new InvalidOperationException(
                    $"The output folder '{folder}' holds the results of a different job (its job.json differs: other videos, model, options or shard size). Choose another folder, or delete this one to start over.");
            return;
        }
        AtomicFile.Write(path, stream => stream.Write(Encoding.UTF8.GetBytes(fingerprint)));
    }

    internal static string ShardPath(string folder, int shard) => Path.Combine(folder, ShardFolderName, $"{shard:D6}.jsonl");

    /// <summary>Commits a shard's records; false when the shard was already committed (the records are then dropped).</summary>
    internal static bool TryCommit(string folder, int shard, IReadOnlyList<VideoJobRecord> records)
    {
        string path = ShardPath(folder, shard);
        string directory = Path.GetDirectoryName(path)!;
        Directory.CreateDirectory(directory);
        string temporary = Path.Combine(directory, $".{shard:D6}.{Guid.NewGuid():N}{AtomicFile.TemporarySuffix}");
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                foreach (var record in records)
                {
                    stream.Write(JsonSerializer.SerializeToUtf8Bytes(record, Json));
                    stream.WriteByte((byte)'\n');
                }
                stream.Flush(flushToDisk: true);
            }
            if (File.Exists(path)) return false;
            try
            {
                // Without overwrite, .NET links the file to its new name on Unix: an atomic "create if absent".
                File.Move(temporary, path, overwrite: false);
                return true;
            }
            catch (IOException) when (File.Exists(path))
            {
                return false;
            }
        }
        finally
        {
            if (File.Exists(temporary)) File.Delete(temporary);
        }
    }

    /// <summary>The records of a committed shard, or null when it is not committed.</summary>
    internal static IReadOnlyList<VideoJobRecord>? TryRead(string folder, int shard)
    {
        string path = ShardPath(folder, shard);
        return File.Exists(path) ? ReadLines(path) : null;
    }

    /// <summary>Writes <c>results.jsonl</c> from the shard files, checking that every video appears exactly once.</summary>
    internal static void Merge(VideoJob job)
    {
        string path = Path.Combine(job.OutputFolder, ResultsFileName);
        var seen = new bool[job.Videos.Count];
        AtomicFile.Write(path, stream =>
        {
            for (int shard = 0; shard < job.ShardCount; shard++)
            {
                var records = TryRead(job.OutputFolder, shard)
                    ?? throw new InvalidOperationException($"Shard {shard} of the job in '{job.OutputFolder}' is not committed.");
                foreach (var record in records)
                {
                    if (record.Index < 0 || record.Index >= seen.Length || seen[record.Index] || job.Videos[record.Index] != record.Video)
                        throw new InvalidDataException($"'{ShardPath(job.OutputFolder, shard)}' holds a record for video {record.Index} ('{record.Video}') that does not belong there or appears twice.");
                    seen[record.Index] = true;
                    stream.Write(JsonSerializer.SerializeToUtf8Bytes(record, Json));
                    stream.WriteByte((byte)'\n');
                }
            }
            int missing = Array.IndexOf(seen, false);
            if (missing >= 0)
                throw new InvalidDataException($"No shard of the job in '{job.OutputFolder}' holds video {missing} ('{job.Videos[missing]}').");
        });
    }

    private static List<VideoJobRecord> ReadLines(string path)
    {
        var records = new List<VideoJobRecord>();
        int line = 0;
        foreach (var text in File.ReadLines(path))
        {
            line++;
            if (text.Length == 0) continue;
            try
            {
                records.Add(JsonSerializer.Deserialize<VideoJobRecord>(text, Json) ?? throw new JsonException("null record"));
            }
            catch (JsonException e)
            {
                throw new InvalidDataException($"'{path}' line {line} is not a job record: {e.Message}", e);
            }
        }
        return records;
    }
}
