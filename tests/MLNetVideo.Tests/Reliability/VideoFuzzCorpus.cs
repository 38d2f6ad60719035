namespace MLNetVideo.Tests.Reliability;

/// <summary>
/// A seeded corpus of hostile video files made from a few valid seed videos: bit flips, truncations, overwritten
/// regions, inserted garbage, header splices (the start of one container glued to the body of another, under any
/// extension) and random bytes (some behind a real container signature). The same seed gives the same files.
/// Shared by the CI fuzz test and <c>benchmarks/ReliabilityBenchmarks</c> (compiled into both).
/// </summary>
internal static class VideoFuzzCorpus
{
    /// <summary>What was done to a file, for the failure message of a test.</summary>
    internal sealed record Case(string Name, string Mutation);

    /// <summary>Names that trip shells, option parsers and protocol handlers: spaces, quotes, leading dashes,
    /// unicode, shell syntax, a line break, a colon (ffmpeg protocol syntax).</summary>
    private static readonly string[] NameTemplates =
    [
        "{0} plain",
        "-{0} leading dash",
        "--{0}=option",
        "quote ' and \" {0}",
        "ünïcødé 视频 {0}",
        "$(touch pwned) `id` {0}",
        "semi;colon|pipe&amp {0}",
        "line\nbreak {0}",
        "concat:{0}",
        "  {0} spaces  ",
    ];

    /// <summary>Signatures of real containers, put in front of random bytes so the demuxer gets further than the probe.</summary>
    private static readonly byte[][] Signatures =
    [
        [0, 0, 0, 0x20, (byte)'f', (byte)'t', (byte)'y', (byte)'p', (byte)'i', (byte)'s', (byte)'o', (byte)'m'],
        [0x1A, 0x45, 0xDF, 0xA3],
        [(byte)'R', (byte)'I', (byte)'F', (byte)'F', 0, 0, 0, 0, (byte)'A', (byte)'V', (byte)'I', (byte)' '],
        [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A],
    ];

    /// <summary>Writes <paramref name="count"/> mutated files into <paramref name="folder"/>.</summary>
    /// <param name="folder">Output folder (the seed files may live there too).</param>
    /// <param name="seeds">Paths of valid videos to mutate.</param>
    /// <param name="count">Number of files.</param>
    /// <param name="seed">Random seed.</param>
    /// <returns>The files' names (relative to <paramref name="folder"/>) and what was done to each.</returns>
    public static List<Case> Generate(string folder, IReadOnlyList<string> seeds, int count, int seed)
    {
        var random = new Random(seed);
        var originals = seeds.Select(File.ReadAllBytes).ToArray();
        var extensions = seeds.Select(Path.GetExtension).ToArray();
        var cases = new List<Case>(count);
        for (int i = 0; i < count; i++)
        {
            int source = random.Next(originals.Length);
            var bytes = originals[source];
            string extension = extensions[source]!;
            string mutation;
            byte[] output;
            switch (i % 6)
            {
                case 0:
                {
                    output = (byte[])bytes.Clone();
                    int flips = 1 + random.Next(16);
                    for (int f = 0; f < flips; f++)
                        output[random.Next(output.Length)] ^= (byte)(1 << random.Next(8));
                    mutation = $"{flips} bit flips";
                    break;
                }
                case 1:
                {
                    int length = random.Next(bytes.Length);
                    output = bytes[..length];
                    mutation = $"truncated to {length} of {bytes.Length} bytes";
                    break;
                }
                case 2:
                {
                    output = (byte[])bytes.Clone();
                    int at = random.Next(output.Length), length = Math.Min(1 + random.Next(512), output.Length - at);
                    byte fill = (byte)random.Next(3);
                    for (int k = 0; k < length; k++)
                        output[at + k] = fill switch { 0 => 0, 1 => 0xFF, _ => (byte)random.Next(256) };
                    mutation = $"{length} bytes at {at} overwritten ({(fill == 0 ? "zeros" : fill == 1 ? "0xFF" : "random")})";
                    break;
                }
                case 3:
                {
                    int other = random.Next(originals.Length);
                    int cut = random.Next(Math.Min(originals[source].Length, 4096));
                    int from = random.Next(originals[other].Length);
                    output = [.. originals[source].AsSpan(0, cut), .. originals[other].AsSpan(from)];
                    extension = extensions[random.Next(extensions.Length)]!;
                    mutation = $"header splice: {cut} bytes of {Path.GetFileName(seeds[source])} + {Path.GetFileName(seeds[other])} from {from}";
                    break;
                }
                case 4:
                {
                    int at = random.Next(bytes.Length);
                    var garbage = new byte[1 + random.Next(2048)];
                    random.NextBytes(garbage);
                    output = [.. bytes.AsSpan(0, at), .. garbage, .. bytes.AsSpan(at)];
                    mutation = $"{garbage.Length} random bytes inserted at {at}";
                    break;
                }
                default:
                {
                    var body = new byte[random.Next(8192)];
                    random.NextBytes(body);
                    if (random.Next(2) == 0)
                    {
                        var signature = Signatures[random.Next(Signatures.Length)];
                        output = [.. signature, .. body];
                        mutation = $"{body.Length} random bytes behind a container signature";
                    }
                    else
                    {
                        output = body;
                        mutation = $"{body.Length} random bytes";
                    }
                    extension = extensions[random.Next(extensions.Length)]!;
                    break;
                }
            }
            string name = string.Format(System.Globalization.CultureInfo.InvariantCulture, NameTemplates[i % NameTemplates.Length], i.ToString("000", System.Globalization.CultureInfo.InvariantCulture)) + extension;
            File.WriteAllBytes(Path.Combine(folder, name), output);
            cases.Add(new Case(name, mutation));
        }
        return cases;
    }
}
