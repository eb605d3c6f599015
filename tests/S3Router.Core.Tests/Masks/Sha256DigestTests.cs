using System.Text;
using S3Router.Core.Errors;
using S3Router.Core.Masks;

namespace S3Router.Core.Tests.Masks;

public sealed class Sha256DigestTests
{
    [Fact]
    public void Of_KnownInput_IsLowercaseHexSha256()
    {
        var digest = Sha256Digest.Of(Encoding.ASCII.GetBytes("abc"));

        Assert.Equal("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", digest);
        Assert.True(Sha256Digest.IsValid(digest));
    }

    [Fact]
    public async Task OfFileAsync_SameContentAsBytesAndStream_GivesSameDigest()
    {
        var bytes = new byte[3 << 20];
        new Random(5).NextBytes(bytes);
        var path = Path.GetTempFileName();
        try
        {
            await File.WriteAllBytesAsync(path, bytes, TestContext.Current.CancellationToken);

            var fromFile = await Sha256Digest.OfFileAsync(path, TestContext.Current.CancellationToken);

            Assert.Equal(Sha256Digest.Of(bytes), fromFile);
            Assert.Equal(fromFile, Sha256Digest.Of(new MemoryStream(bytes)));
            Assert.Equal(fromFile, Sha256Digest.OfFile(path));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void OfFile_Missing_ThrowsNotFound()
    {
        Assert.Throws<NotFoundException>(() => Sha256Digest.OfFile(Path.Combine(Path.GetTempPath(), Guid.NewGuid().ToString())));
    }

    [Theory]
    [InlineData("BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD")]
    [InlineData("ba7816bf")]
    [InlineData("")]
    [InlineData(null)]
    [InlineData("ga7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")]
    public void IsValid_NotLowercase64Hex_IsFalse(string? digest)
    {
        Assert.False(Sha256Digest.IsValid(digest));
    }
}
