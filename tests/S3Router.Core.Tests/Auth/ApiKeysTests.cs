using Grpc.Core;
using S3Router.Core.Auth;

namespace S3Router.Core.Tests.Auth;

public sealed class ApiKeysTests
{
    [Theory]
    [InlineData("authorization", "Bearer secret", "secret")]
    [InlineData("authorization", "bearer  secret ", "secret")]
    [InlineData("x-api-key", " secret", "secret")]
    [InlineData("authorization", "Bearer ", null)]
    [InlineData("x-api-key", "  ", null)]
    [InlineData("authorization", "Basic dXNlcjpwYXNz", null)]
    [InlineData("other", "secret", null)]
    public void Read_Header_FindsTrimmedKey(string header, string value, string? expected)
    {
        var headers = new Metadata { { header, value } };

        Assert.Equal(expected, ApiKeys.Read(headers));
    }

    [Fact]
    public void Read_BothHeaders_PrefersBearer()
    {
        var headers = new Metadata { { "x-api-key", "second" }, { "authorization", "Bearer first" } };

        Assert.Equal("first", ApiKeys.Read(headers));
    }

    [Fact]
    public void Sha256Hex_Key_IsLowercaseHexOfUtf8()
    {
        // sha256("abc") from FIPS 180-2.
        Assert.Equal("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", ApiKeys.Sha256Hex("abc"));
    }
}
