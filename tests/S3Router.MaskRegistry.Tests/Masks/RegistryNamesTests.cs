using S3Router.Core.Errors;
using S3Router.MaskRegistry.Masks;

namespace S3Router.MaskRegistry.Tests.Masks;

public sealed class RegistryNamesTests
{
    [Theory]
    [InlineData("", "production", 0L, null)]
    [InlineData("canary", "canary", 0L, null)]
    [InlineData("v12", null, 12L, null)]
    [InlineData("12", null, 12L, null)]
    [InlineData("sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", null, 0L, "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")]
    public void ParseRef_ValidRef_ParsesKind(string value, string? alias, long version, string? digest)
    {
        var violations = new List<FieldViolation>();

        var parsed = RegistryNames.ParseRef(value, "ref", violations);

        Assert.Empty(violations);
        Assert.Equal(new MaskRef(alias, version, digest), parsed);
    }

    [Theory]
    [InlineData("v99999999999999999999999")]
    [InlineData("../x")]
    [InlineData("sha256:AAAA")]
    [InlineData("a/b")]
    [InlineData("0")]
    public void ParseRef_Malformed_ReportsRefViolation(string value)
    {
        var violations = new List<FieldViolation>();

        RegistryNames.ParseRef(value, "ref", violations);

        Assert.Equal("ref", Assert.Single(violations).Field);
    }

    [Theory]
    [InlineData("en", true)]
    [InlineData("de-DE", true)]
    [InlineData("cmn-Hans", true)]
    [InlineData("und", true)]
    [InlineData("EN", false)]
    [InlineData("en_US", false)]
    [InlineData("e", false)]
    [InlineData("en/../..", false)]
    public void CheckLanguage_Tag_AcceptsBcp47Only(string tag, bool valid)
    {
        var violations = new List<FieldViolation>();

        RegistryNames.CheckLanguage(tag, "language_code", violations);

        Assert.Equal(valid, violations.Count == 0);
    }

    [Theory]
    [InlineData("asr", true)]
    [InlineData("speaker_id", true)]
    [InlineData("ASR", false)]
    [InlineData("1asr", false)]
    [InlineData("as-r", false)]
    public void CheckTask_Identifier_AcceptsLowercaseOnly(string task, bool valid)
    {
        var violations = new List<FieldViolation>();

        RegistryNames.CheckTask(task, "task", violations);

        Assert.Equal(valid, violations.Count == 0);
    }
}
