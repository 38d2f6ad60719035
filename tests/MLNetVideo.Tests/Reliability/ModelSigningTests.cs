using System.Security.Cryptography;
using System.Text;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetVideo.Persistence;
using MLNetVideo.TestComponents;
using MLNetVideo.Tests.TestSupport;

namespace MLNetVideo.Tests.Reliability;

/// <summary>
/// Issue 15, item 7: an application that accepts only its own models saves them with its private key and loads them with
/// its trusted public keys; an unsigned zip, one signed by another key, and one changed in any entry after signing (even
/// with its manifest hash rewritten) are refused with a message that says which.
/// </summary>
[TestClass, DoNotParallelize]
public sealed class ModelSigningTests
{
    private static (MLContext MLContext, ITransformer Model, IDataView Data) Fit()
    {
        var (mlContext, data, model) = TinyModels.FitLinear();
        return (mlContext, model, data);
    }

    [TestMethod]
    public void SignedZip_LoadsWithTheTrustedKey_AndIsRefusedOtherwise()
    {
        using var folder = new TempFolder();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var otherKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var (mlContext, model, data) = Fit();
        string signed = folder.File("signed.zip"), unsigned = folder.File("unsigned.zip");
        mlContext.Model.SaveAtomically(model, data.Schema, signed, signingKey: key);
        mlContext.Model.SaveAtomically(model, data.Schema, unsigned);
        CollectionAssert.Contains(ZipEditing.EntryNames(signed), ModelSigning.SignatureEntryName);

        var trusted = new VideoModelLoadOptions { TrustedSigningKeys = [ModelSigning.PublicKeyOf(otherKey), ModelSigning.PublicKeyOf(key)] };
        var loaded = new MLContext().Model.Load(signed, trusted, out _);
        Assert.AreEqual(2, ((TransformerChain<ITransformer>)loaded).Count());
        // A signed zip is an ordinary ML.NET zip: loads without any signature check too.
        Assert.IsNotNull(new MLContext().Model.Load(signed, out _));

        var notSigned = Assert.ThrowsExactly<InvalidDataException>(() => new MLContext().Model.Load(unsigned, trusted, out _));
        StringAssert.Contains(notSigned.Message, "it is not signed");
        var onlyOther = new VideoModelLoadOptions { TrustedSigningKeys = [ModelSigning.PublicKeyOf(otherKey)] };
        var untrusted = Assert.ThrowsExactly<InvalidDataException>(() => new MLContext().Model.Load(signed, onlyOther, out _));
        StringAssert.Contains(untrusted.Message, "which is not one of the 1 trusted key(s)");
    }

    [TestMethod]
    public void AnyEntryChangedAfterSigning_IsRefused_EvenWithItsManifestRewritten()
    {
        using var folder = new TempFolder();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var (mlContext, model, data) = Fit();
        string zip = folder.File("model.zip");
        mlContext.Model.SaveAtomically(model, data.Schema, zip, signingKey: key);
        var trusted = new VideoModelLoadOptions { TrustedSigningKeys = [ModelSigning.PublicKeyOf(key)] };
        string settings = ModelZipTampering.EntriesEndingWith(zip, "/Settings.json").Single();
        var json = Encoding.UTF8.GetString(ModelZipTampering.Read(zip, settings)).Replace("\"Output\"", "\"Output2\"", StringComparison.Ordinal);
        ModelZipTampering.Replace(zip, settings, Encoding.UTF8.GetBytes(json));
        Assert.IsNotNull(new MLContext().Model.Load(zip, new VideoModelLoadOptions(), out _), "the manifest was rewritten: only the signature can tell");
        var changed = Assert.ThrowsExactly<InvalidDataException>(() => new MLContext().Model.Load(zip, trusted, out _));
        StringAssert.Contains(changed.Message, "does not match its content: the zip was changed after it was signed");
        Assert.ThrowsExactly<InvalidDataException>(() => ModelSigning.Verify(zip, trusted.TrustedSigningKeys));
        // Signing the changed file again (its owner's decision) makes it acceptable.
        ModelSigning.SignFile(zip, key);
        ModelSigning.Verify(zip, trusted.TrustedSigningKeys);
        Assert.IsNotNull(new MLContext().Model.Load(zip, trusted, out _));
    }

    [TestMethod]
    public void ProcessWideTrustedKeys_AlsoGuardPlainModelLoad()
    {
        using var folder = new TempFolder();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var (mlContext, model, data) = Fit();
        string signed = folder.File("signed.zip"), unsigned = folder.File("unsigned.zip");
        mlContext.Model.SaveAtomically(model, data.Schema, signed, signingKey: key);
        mlContext.Model.SaveAtomically(model, data.Schema, unsigned);
        VideoModelLoadOptions.Default = new VideoModelLoadOptions { TrustedSigningKeys = [ModelSigning.PublicKeyOf(key)] };
        try
        {
            Assert.IsNotNull(new MLContext().Model.Load(signed, out _));
            var e = Assert.Throws<Exception>(() => new MLContext().Model.Load(unsigned, out _));
            StringAssert.Contains(LoadErrors.Unwrap(e).Message, "it is not signed");
        }
        finally
        {
            VideoModelLoadOptions.Default = new VideoModelLoadOptions();
        }
    }
}
