using S3Router.Core.Auth;

namespace S3Router.Core.Tests.Auth;

public sealed class ApiKeyTableTests
{
    [Fact]
    public void TryFind_KeyOrUppercaseHashConfigured_FindsEntry()
    {
        var table = new ApiKeyTable<string>([("k1", null, "plain"), (null, ApiKeys.Sha256Hex("k2").ToUpperInvariant(), "hashed")]);

        Assert.True(table.TryFind("k1", out var first));
        Assert.True(table.TryFind("k2", out var second));
        Assert.Equal(("plain", "hashed"), (first, second));
        Assert.Equal(2, table.Count);
    }

    [Fact]
    public void TryFind_UnknownKeyOrHashItself_NotFound()
    {
        var table = new ApiKeyTable<string>([("k1", null, "plain")]);

        Assert.False(table.TryFind("k2", out _));
        Assert.False(table.TryFind(ApiKeys.Sha256Hex("k1"), out _));
    }

    [Fact]
    public void Constructor_SameKeyTwice_Throws()
    {
        Assert.Throws<ArgumentException>(() => new ApiKeyTable<string>([("k1", null, "a"), (null, ApiKeys.Sha256Hex("k1"), "b")]));
    }
}
