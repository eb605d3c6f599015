using S3Router.Core.Errors;

namespace S3Router.Bench.Tests;

public sealed class PruneTokensSettingsTests
{
    [Fact]
    public void Parse_NoArguments_MeasuresDemoRouteOnSentences()
    {
        // Act
        var settings = PruneTokensSettings.Parse([]);

        // Assert
        var run = Assert.Single(settings.Runs());
        Assert.Equal(("", "models/tiny-ssl/routes/asr-en.safetensors", (string?)null), run);
        Assert.Equal(0, settings.RetrainSteps);
        Assert.Equal(1.0, settings.Targets[0]);
    }

    [Fact]
    public void Parse_LanguagePlaceholder_OneRunPerLanguage()
    {
        // Arrange
        string[] args = ["--route", "/q/asr-{lang}-10min-mask/bundle.safetensors", "--manifest-dir", "/c/asr/{lang}", "--languages", "es, de", "--split", "valid"];

        // Act
        var settings = PruneTokensSettings.Parse(args);

        // Assert
        Assert.Equal(
            [("es", "/q/asr-es-10min-mask/bundle.safetensors", "/c/asr/es"), ("de", "/q/asr-de-10min-mask/bundle.safetensors", "/c/asr/de")],
            settings.Runs());
        Assert.Equal("valid", settings.Split);
    }

    [Fact]
    public void Parse_TargetsWithoutOne_AddsUnprunedReferenceFirst()
    {
        // Act
        var settings = PruneTokensSettings.Parse(["--targets", "0.8,0.5", "--retrain-steps", "500", "--manifest-dir", "/c"]);

        // Assert
        Assert.Equal([1.0, 0.8, 0.5], settings.Targets);
        Assert.Equal(500, settings.RetrainSteps);
    }

    [Theory]
    [InlineData("--route", "/q/{lang}.safetensors")] // placeholder without languages
    [InlineData("--languages", "es")] // languages without placeholder
    [InlineData("--retrain-steps", "100")] // retraining without a manifest
    [InlineData("--targets", "0.5,1.5")]
    [InlineData("--rounds", "0")]
    [InlineData("--limit", "-3")]
    [InlineData("--colour", "red")]
    [InlineData("route", "x")]
    public void Parse_BadArguments_ThrowsInvalidInput(string name, string value)
    {
        // Act
        var error = Assert.Throws<InvalidInputException>(() => PruneTokensSettings.Parse([name, value]));

        // Assert
        Assert.NotEmpty(error.Message);
    }

    [Fact]
    public void Parse_OptionWithoutValue_ThrowsInvalidInput()
    {
        // Act
        var error = Assert.Throws<InvalidInputException>(() => PruneTokensSettings.Parse(["--split", "test", "--limit"]));

        // Assert
        Assert.Contains("--limit", error.Message);
    }
}
