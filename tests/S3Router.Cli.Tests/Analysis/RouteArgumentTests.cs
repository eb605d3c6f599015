using S3Router.Cli.Analysis;

namespace S3Router.Cli.Tests.Analysis;

public sealed class RouteArgumentTests
{
    [Theory]
    [InlineData("asr/en", "asr", "en", "production")]
    [InlineData("asr/de-DE@v3", "asr", "de-DE", "v3")]
    [InlineData("speaker/und@sha256:abc", "speaker", "und", "sha256:abc")]
    public void TryParse_Valid_SplitsTaskLanguageAndRef(string text, string task, string language, string reference)
    {
        Assert.True(RouteArgument.TryParse(text, "production", out var route));

        Assert.Equal((task, language, reference), (route.Task, route.LanguageCode, route.MaskRef));
    }

    [Theory]
    [InlineData("asr")]
    [InlineData("/en")]
    [InlineData("asr/")]
    [InlineData("asr/en/x")]
    [InlineData("asr/en@")]
    public void TryParse_Malformed_ReturnsFalse(string text)
    {
        Assert.False(RouteArgument.TryParse(text, "production", out _));
    }
}
