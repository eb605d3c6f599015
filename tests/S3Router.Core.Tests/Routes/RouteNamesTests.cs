using S3Router.Core.Errors;
using S3Router.Core.Routes;

namespace S3Router.Core.Tests.Routes;

public sealed class RouteNamesTests
{
    private static readonly string Digest = "sha256:" + new string('a', 64);

    [Theory]
    [InlineData("asr", true)]
    [InlineData("speaker_id", true)]
    [InlineData("a", true)]
    [InlineData("", false)]
    [InlineData("ASR", false)]
    [InlineData("1asr", false)]
    [InlineData("as-r", false)]
    [InlineData("asr\n", false)]
    public void CheckTask_Identifier_AcceptsLowercaseOnly(string task, bool valid)
    {
        var violations = new List<FieldViolation>();

        RouteNames.CheckTask(task, "task", violations);

        Assert.Equal(valid, violations.Count == 0);
        Assert.Equal(valid, RouteNames.IsTask(task));
    }

    [Fact]
    public void CheckTask_LongerThan64_ReportsField()
    {
        var violations = new List<FieldViolation>();

        RouteNames.CheckTask("a" + new string('b', 63), "ok", violations);
        RouteNames.CheckTask("a" + new string('b', 64), "spec.task", violations);

        Assert.Equal("spec.task", Assert.Single(violations).Field);
    }

    [Theory]
    [InlineData("en", true)]
    [InlineData("de-DE", true)]
    [InlineData("cmn-Hans", true)]
    [InlineData("cmn-Hans-CN", true)]
    [InlineData("und", true)]
    [InlineData("", false)]
    [InlineData("EN", false)]
    [InlineData("en_US", false)]
    [InlineData("e", false)]
    [InlineData("en/../..", false)]
    [InlineData("en\n", false)]
    [InlineData("de-DE\n", false)]
    public void CheckLanguage_Tag_AcceptsBcp47Only(string tag, bool valid)
    {
        var violations = new List<FieldViolation>();

        RouteNames.CheckLanguage(tag, "language_code", violations);

        Assert.Equal(valid, violations.Count == 0);
        Assert.Equal(valid, RouteNames.IsLanguage(tag));
    }

    [Theory]
    [InlineData("production", true)]
    [InlineData("canary-2", true)]
    [InlineData("Blue_green", true)]
    [InlineData("", false)]
    [InlineData("v12", false)]
    [InlineData("12", false)]
    [InlineData("-alias", false)]
    [InlineData("a/b", false)]
    [InlineData("canary\n", false)]
    public void CheckAlias_Name_RejectsVersionsAndPunctuation(string alias, bool valid)
    {
        var violations = new List<FieldViolation>();

        RouteNames.CheckAlias(alias, "alias", violations);

        Assert.Equal(valid, violations.Count == 0);
        Assert.Equal(valid, RouteNames.IsAlias(alias));
    }

    [Theory]
    [InlineData("", false, true)]
    [InlineData("", true, false)]
    [InlineData("sha256:AAAA", false, false)]
    [InlineData("sha256:" + "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", false, false)]
    public void CheckDigest_Malformed_ReportsUnlessOptionalAndEmpty(string digest, bool required, bool valid)
    {
        var violations = new List<FieldViolation>();

        RouteNames.CheckDigest(digest, "digest", violations, required);

        Assert.Equal(valid, violations.Count == 0);
    }

    [Fact]
    public void CheckDigest_TrailingNewline_Reported()
    {
        var violations = new List<FieldViolation>();

        RouteNames.CheckDigest(Digest, "ok", violations);
        RouteNames.CheckDigest(Digest + "\n", "digest", violations);

        Assert.Equal("digest", Assert.Single(violations).Field);
        Assert.False(RouteNames.IsDigest(Digest + "\n"));
    }

    [Theory]
    [InlineData("", "production", 0L, null)]
    [InlineData("canary", "canary", 0L, null)]
    [InlineData("v", "v", 0L, null)]
    [InlineData("v12", null, 12L, null)]
    [InlineData("12", null, 12L, null)]
    [InlineData("sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", null, 0L, "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")]
    public void ParseMaskRef_ValidRef_ParsesKind(string value, string? alias, long version, string? digest)
    {
        var violations = new List<FieldViolation>();

        var parsed = RouteNames.ParseMaskRef(value, "ref", violations);

        Assert.Empty(violations);
        Assert.Equal(new MaskRef(alias, version, digest), parsed);
    }

    [Theory]
    [InlineData("v99999999999999999999999")]
    [InlineData("../x")]
    [InlineData("sha256:AAAA")]
    [InlineData("a/b")]
    [InlineData("0")]
    [InlineData("v0")]
    [InlineData("-alias")]
    [InlineData("canary\n")]
    [InlineData("v12\n")]
    public void ParseMaskRef_Malformed_ReportsOneViolationAtField(string value)
    {
        var violations = new List<FieldViolation>();

        RouteNames.ParseMaskRef(value, "routes[2].mask_ref", violations);

        Assert.Equal("routes[2].mask_ref", Assert.Single(violations).Field);
    }

    [Fact]
    public void CheckTask_BadValues_SameRuleSameMessage()
    {
        var violations = new List<FieldViolation>();

        RouteNames.CheckTask("ASR", "task", violations);
        RouteNames.CheckTask("Speaker", "additional_routes[0].task", violations);

        Assert.Equal(
            violations[0].Description.Replace("ASR", "X", StringComparison.Ordinal),
            violations[1].Description.Replace("Speaker", "X", StringComparison.Ordinal));
    }

    [Fact]
    public void CheckLanguage_HugeValue_MessageQuotesAShortenedValue()
    {
        var violations = new List<FieldViolation>();

        RouteNames.CheckLanguage(new string('x', 10_000), "language_code", violations);

        Assert.Contains("...", Assert.Single(violations).Description, StringComparison.Ordinal);
        Assert.True(violations[0].Description.Length < 300);
    }
}
