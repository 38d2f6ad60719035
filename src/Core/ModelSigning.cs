using System.Buffers.Binary;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using MLNetVideo.Persistence;

namespace MLNetVideo;

/// <summary>
/// Optional provenance for model zips: an ECDSA signature (SHA-256) over the name, length and SHA-256 of every entry of the
/// zip, stored in one extra entry that ML.NET ignores. An application that accepts only its own models saves them with its
/// private key and loads them with <see cref="VideoModelLoadOptions.TrustedSigningKeys"/>; a zip that is unsigned, signed by
/// another key, or changed in any entry after signing is refused before anything in it is read as a model.
/// </summary>
/// <remarks>
/// Use it when model zips travel through places you do not control (a shared drive, an artifact store, e-mail) and only your
/// own training pipeline may produce the models your application runs. The signature says who produced a zip, not that
/// the zip is harmless: every other rule of loading (bounded sizes, no programs or locations from the zip) holds either way.
/// Keep the private key out of the application that loads models.
/// </remarks>
/// <example><code language="csharp">
/// using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);       // keep it safe: key.ExportPkcs8PrivateKeyPem()
/// mlContext.Model.SaveAtomically(model, data.Schema, "model.zip", signingKey: key);
/// var trusted = new VideoModelLoadOptions { TrustedSigningKeys = [ModelSigning.PublicKeyOf(key)] };
/// var loaded = mlContext.Model.Load("model.zip", trusted, out var schema);
/// </code></example>
public static class ModelSigning
{
    /// <summary>The zip entry that holds the signature.</summary>
    public const string SignatureEntryName = "MLNetVideoSignature/Signature.json";

    private const int SignatureFormat = 1;
    private const int MaxSignatureEntryBytes = 64 << 10;

    /// <summary>The public key to trust (DER SubjectPublicKeyInfo) of a signing key.</summary>
    /// <param name="key">The ECDSA key (private or public).</param>
    /// <returns>The bytes for <see cref="VideoModelLoadOptions.TrustedSigningKeys"/>.</returns>
    public static byte[] PublicKeyOf(ECDsa key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return key.ExportSubjectPublicKeyInfo();
    }

    /// <summary>Signs an existing model zip in place (atomically: the file is replaced only once the signed zip is complete).</summary>
    /// <param name="zipPath">The model zip.</param>
    /// <param name="privateKey">The ECDSA private key.</param>
    /// <exception cref="InvalidDataException">The file is not a readable zip.</exception>
    /// <exception cref="IOException">The file could not be replaced; it is unchanged.</exception>
    public static void SignFile(string zipPath, ECDsa privateKey)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(zipPath);
        ArgumentNullException.ThrowIfNull(privateKey);
        string full = Path.GetFullPath(zipPath);
        byte[] original = File.ReadAllBytes(full);
        AtomicFile.Write(full, stream =>
        {
            stream.Write(original);
            stream.Position = 0;
            AddSignature(stream, privateKey, full);
        });
    }

    /// <summary>Checks that a model zip carries a valid signature by one of <paramref name="trustedKeys"/>.</summary>
    /// <param name="zipPath">The model zip.</param>
    /// <param name="trustedKeys">Trusted public keys (DER SubjectPublicKeyInfo).</param>
    /// <exception cref="InvalidDataException">Unsigned, signed by an untrusted key, or changed after signing; the message says which.</exception>
    public static void Verify(string zipPath, IReadOnlyList<byte[]> trustedKeys)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(zipPath);
        ArgumentNullException.ThrowIfNull(trustedKeys);
        string full = Path.GetFullPath(zipPath);
        var options = new VideoModelLoadOptions { TrustedSigningKeys = trustedKeys };
        options.Validate();
        using var stream = File.OpenRead(full);
        using var archive = OpenArchive(stream, full);
        Verify(archive, ModelZipScan.Scan(archive, options, full), trustedKeys, full);
    }

    /// <summary>Opens a zip for reading, refusing a file that is not one with a message naming it.</summary>
    internal static ZipArchive OpenArchive(Stream stream, string source)
    {
        try
        {
            return new ZipArchive(stream, ZipArchiveMode.Read, leaveOpen: true);
        }
        catch (InvalidDataException e)
        {
            throw ModelZipScan.Refused(source, $"it is not a readable zip ({e.Message.TrimEnd('.')})", e);
        }
    }

    /// <summary>Adds (or replaces) the signature entry of the zip in <paramref name="stream"/> (readable, writable, seekable).</summary>
    internal static void AddSignature(Stream stream, ECDsa privateKey, string source)
    {
        IReadOnlyList<ModelZipScan.Entry> entries;
        using (var archive = OpenArchive(stream, source))
            entries = ModelZipScan.Scan(archive, new VideoModelLoadOptions(), source);
        byte[] publicKey = privateKey.ExportSubjectPublicKeyInfo();
        byte[] signature = privateKey.SignData(Manifest(entries), HashAlgorithmName.SHA256);
        var record = new SignatureRecord
        {
            Format = SignatureFormat,
            Algorithm = "ECDSA-SHA256",
            KeyId = KeyId(publicKey),
            Signature = Convert.ToBase64String(signature),
        };
        stream.Position = 0;
        using (var archive = new ZipArchive(stream, ZipArchiveMode.Update, leaveOpen: true))
        {
            archive.GetEntry(SignatureEntryName)?.Delete();
            using var output = archive.CreateEntry(SignatureEntryName, CompressionLevel.NoCompression).Open();
            output.Write(JsonSerializer.SerializeToUtf8Bytes(record));
        }
        stream.Flush();
    }

    /// <summary>Verifies the signature of a scanned zip.</summary>
    internal static void Verify(ZipArchive archive, IReadOnlyList<ModelZipScan.Entry> entries, IReadOnlyList<byte[]> trustedKeys, string source)
    {
        var entry = archive.GetEntry(SignatureEntryName)
            ?? throw ModelZipScan.Refused(source, "it is not signed, and this application accepts only models signed with one of its trusted keys (VideoModelLoadOptions.TrustedSigningKeys)");
        SignatureRecord? record;
        try
        {
            if (entry.Length > MaxSignatureEntryBytes)
                throw new JsonException($"the entry holds {entry.Length} bytes");
            using var content = entry.Open();
            record = JsonSerializer.Deserialize<SignatureRecord>(content);
        }
        catch (JsonException e)
        {
            throw ModelZipScan.Refused(source, $"its signature entry '{SignatureEntryName}' is not readable ({e.Message})", e);
        }
        if (record is not { Format: SignatureFormat, Algorithm: "ECDSA-SHA256", KeyId: { } keyId, Signature: { } text })
            throw ModelZipScan.Refused(source, $"its signature entry '{SignatureEntryName}' is not an MLNetVideo signature of format {SignatureFormat}");
        var key = trustedKeys.FirstOrDefault(k => KeyId(k) == keyId)
            ?? throw ModelZipScan.Refused(source, $"it is signed by the key {keyId}, which is not one of the {trustedKeys.Count} trusted key(s)");
        byte[] signature;
        try
        {
            signature = Convert.FromBase64String(text);
        }
        catch (FormatException e)
        {
            throw ModelZipScan.Refused(source, "its signature is not valid base64", e);
        }
        using var ecdsa = ECDsa.Create();
        try
        {
            ecdsa.ImportSubjectPublicKeyInfo(key, out _);
        }
        catch (CryptographicException e)
        {
            throw new ArgumentException($"Trusted signing key {keyId} is not an ECDSA public key (DER SubjectPublicKeyInfo).", nameof(trustedKeys), e);
        }
        if (!ecdsa.VerifyData(Manifest(entries), signature, HashAlgorithmName.SHA256))
            throw ModelZipScan.Refused(source, $"its signature by the trusted key {keyId} does not match its content: the zip was changed after it was signed");
    }

    /// <summary>What is signed: every entry but the signature, ordered by name, as (name, length, SHA-256).</summary>
    private static byte[] Manifest(IReadOnlyList<ModelZipScan.Entry> entries)
    {
        using var buffer = new MemoryStream();
        buffer.Write("MLNVSIG1"u8);
        Span<byte> number = stackalloc byte[8];
        foreach (var entry in entries.Where(e => e.Name != SignatureEntryName).OrderBy(e => e.Name, StringComparer.Ordinal))
        {
            byte[] name = Encoding.UTF8.GetBytes(entry.Name);
            BinaryPrimitives.WriteInt32LittleEndian(number, name.Length);
            buffer.Write(number[..4]);
            buffer.Write(name);
            BinaryPrimitives.WriteInt64LittleEndian(number, entry.Length);
            buffer.Write(number);
            buffer.Write(entry.Sha256);
        }
        return buffer.ToArray();
    }

    /// <summary>Lowercase hex SHA-256 of a public key, the id written beside the signature.</summary>
    private static string KeyId(byte[] publicKey) => Convert.ToHexStringLower(SHA256.HashData(publicKey));

    private sealed class SignatureRecord
    {
        public int Format { get; set; }

        public string? Algorithm { get; set; }

        public string? KeyId { get; set; }

        public string? Signature { get; set; }
    }
}
