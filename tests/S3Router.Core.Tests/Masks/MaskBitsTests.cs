using S3Router.Core.Errors;
using S3Router.Core.Masks;

namespace S3Router.Core.Tests.Masks;

public sealed class MaskBitsTests
{
    [Fact]
    public void Pack_KnownLayout_IsLsbFirstRowMajor()
    {
        bool[] mask = [true, false, false, false, false, false, false, false, true, true];

        var packed = MaskBits.Pack(mask);

        Assert.Equal(new byte[] { 0x01, 0x03 }, packed);
    }

    [Fact]
    public void Pack_HighBits_SetsMostSignificantBitForElement7()
    {
        bool[] mask = [false, false, false, false, false, false, false, true, false, false, false, false, false, false, false, false, true];

        Assert.Equal(new byte[] { 0x80, 0x00, 0x01 }, MaskBits.Pack(mask));
    }

    [Fact]
    public void Pack_FloatZeroOneMask_MatchesBoolPacking()
    {
        float[] mask = [1f, 0f, 0f, 0f, 0f, 0f, 0f, 0f, 1f, 1f];

        Assert.Equal(new byte[] { 0x01, 0x03 }, MaskBits.Pack(mask));
    }

    [Fact]
    public void Pack_FloatNotZeroOrOne_ThrowsInvalidInput()
    {
        var error = Assert.Throws<InvalidInputException>(() => MaskBits.Pack([1f, 0.5f]));

        Assert.Contains("element 1", error.Message);
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(1, 1)]
    [InlineData(8, 1)]
    [InlineData(9, 2)]
    [InlineData(3072L * 768, 294912)]
    public void PackedLength_ElementCount_IsCeilingOfEighth(long elements, int expected)
    {
        Assert.Equal(expected, MaskBits.PackedLength(elements));
    }

    [Fact]
    public void PackUnpack_SeededRandomMasks_RoundTripAndCountKeptBits()
    {
        var random = new Random(1234);
        for (var trial = 0; trial < 300; trial++)
        {
            var count = random.Next(1, 1001);
            var keep = random.NextDouble();
            var mask = Enumerable.Range(0, count).Select(_ => random.NextDouble() < keep).ToArray();

            var packed = MaskBits.Pack(mask);
            var floats = new float[count];
            MaskBits.UnpackTo(packed, floats);

            Assert.Equal((count + 7) / 8, packed.Length);
            Assert.Equal(mask, MaskBits.Unpack(packed, count));
            Assert.Equal(mask.Select(b => b ? 1f : 0f), floats);
            Assert.Equal(mask.Count(b => b), MaskBits.PopCount(packed));
        }
    }

    [Theory]
    [InlineData(10, 1)]
    [InlineData(10, 3)]
    [InlineData(16, 1)]
    public void Unpack_WrongByteLength_ThrowsInvalidInput(long elements, int bytes)
    {
        var error = Assert.Throws<InvalidInputException>(() => MaskBits.Unpack(new byte[bytes], elements));

        Assert.Contains($"expected {(elements + 7) / 8}", error.Message);
    }

    [Fact]
    public void Unpack_PaddingBitSet_ThrowsInvalidInput()
    {
        // 10 elements: bits 2..7 of the second byte are padding.
        var error = Assert.Throws<InvalidInputException>(() => MaskBits.Unpack([0x00, 0x04], 10));

        Assert.Contains("padding", error.Message);
    }

    [Fact]
    public void UnpackTo_DestinationLengthMismatch_ThrowsInvalidInput()
    {
        Assert.Throws<InvalidInputException>(() => MaskBits.UnpackTo([0xff], new float[9]));
    }

    [Fact]
    public void PackedLength_Negative_ThrowsInvalidInput()
    {
        Assert.Throws<InvalidInputException>(() => MaskBits.PackedLength(-1));
    }
}
