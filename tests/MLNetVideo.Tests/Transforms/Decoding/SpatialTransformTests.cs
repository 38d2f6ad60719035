using MLNetVideo.Transforms.Decoding;

namespace MLNetVideo.Tests.Transforms.Decoding;

[TestClass]
public sealed class SpatialTransformTests
{
    [TestMethod]
    public void ScaledSize_ShortSideKeepsAspect()
    {
        Assert.AreEqual((455, 256), SpatialTransform.ScaledSize(640, 360, ResizeMode.ShortSideThenCrop, 224, 256));
        Assert.AreEqual((256, 455), SpatialTransform.ScaledSize(360, 640, ResizeMode.ShortSideThenCrop, 224, 256));
        Assert.AreEqual((112, 112), SpatialTransform.ScaledSize(640, 360, ResizeMode.Stretch, 112, 128));
    }

    [TestMethod]
    public void Crops_CentreRandomAndThree()
    {
        Assert.AreEqual(new CropWindow(115, 16, 224, 224), SpatialTransform.Crops(455, 256, 224, 1, null)[0]);
        var random = new Random(5);
        for (int i = 0; i < 200; i++)
        {
            var w = SpatialTransform.Crops(455, 256, 224, 1, random)[0];
            Assert.IsTrue(w.X is >= 0 and <= 231 && w.Y is >= 0 and <= 32, w.ToString());
        }
        var three = SpatialTransform.Crops(300, 224, 224, 3, null);
        CollectionAssert.AreEqual(new[] { 0, 38, 76 }, three.Select(c => c.X).ToArray());
        var tall = SpatialTransform.Crops(224, 300, 224, 3, null);
        CollectionAssert.AreEqual(new[] { 0, 38, 76 }, tall.Select(c => c.Y).ToArray());
    }

    [TestMethod]
    [DataRow(PixelNormalization.ZeroToOne, 0, 255, 1f)]
    [DataRow(PixelNormalization.MinusOneToOne, 0, 0, -1f)]
    [DataRow(PixelNormalization.MinusOneToOne, 0, 255, 1f)]
    [DataRow(PixelNormalization.ImageNet, 0, 255, (1 - 0.485f) / 0.229f)]
    [DataRow(PixelNormalization.ImageNet, 2, 0, -0.406f / 0.225f)]
    [DataRow(PixelNormalization.Clip, 1, 128, (128 / 255f - 0.4578275f) / 0.26130258f)]
    public void PixelLookup_Presets(PixelNormalization normalization, int channel, int value, float expected)
        => Assert.AreEqual(expected, new PixelLookup(normalization, ChannelOrder.Rgb, null, null).Tables[channel][value], 1e-5f);

    [TestMethod]
    public void WriteFrame_CropsFlipsAndSwapsChannels()
    {
        // 3×2 RGB frame; pixel (x, y) = (10x + y, 100 + x, 200 + y).
        var rgb = new byte[3 * 2 * 3];
        for (int y = 0; y < 2; y++)
            for (int x = 0; x < 3; x++)
            {
                int o = (y * 3 + x) * 3;
                rgb[o] = (byte)(10 * x + y); rgb[o + 1] = (byte)(100 + x); rgb[o + 2] = (byte)(200 + y);
            }
        var lookup = new PixelLookup(PixelNormalization.ZeroToOne, ChannelOrder.Bgr, null, null);
        var output = new float[3 * 4];
        SpatialTransform.WriteFrame(rgb, 3, new CropWindow(1, 0, 2, 2), flip: true, lookup, output, [0, 4, 8]);
        // Channel 0 is blue (200 + y); channel 2 is red, flipped: row 0 = (x=2, x=1) = (20, 10).
        CollectionAssert.AreEqual(new[] { 200, 200, 201, 201 }, output[..4].Select(v => (int)Math.Round(v * 255)).ToArray());
        CollectionAssert.AreEqual(new[] { 20, 10, 21, 11 }, output[8..].Select(v => (int)Math.Round(v * 255)).ToArray());
    }
}
