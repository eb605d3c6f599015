using Microsoft.Extensions.Configuration;
using S3Router.InferenceService.Onnx;

namespace S3Router.InferenceService.Tests;

public sealed class InferenceOptionsTests
{
    [Fact]
    public void Bind_NoIntraOpSpinning_SpinsOnlyWhileRunning()
    {
        // Arrange
        var configuration = new ConfigurationBuilder().AddInMemoryCollection([]).Build();

        // Act
        var options = configuration.GetSection(InferenceOptions.SectionName).Get<InferenceOptions>() ?? new InferenceOptions();

        // Assert
        Assert.Equal(OnnxSpinning.WhileRunning, options.IntraOpSpinning);
    }

    [Theory]
    [InlineData("Always", OnnxSpinning.Always)]
    [InlineData("never", OnnxSpinning.Never)]
    public void Bind_IntraOpSpinningByName_ThatMode(string value, OnnxSpinning expected)
    {
        // Arrange: as the environment variable Inference__IntraOpSpinning gives it.
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection([new KeyValuePair<string, string?>("Inference:IntraOpSpinning", value)])
            .Build();

        // Act
        var options = configuration.GetSection(InferenceOptions.SectionName).Get<InferenceOptions>();

        // Assert
        Assert.Equal(expected, options?.IntraOpSpinning);
    }

    [Theory]
    [InlineData(null, true)]
    [InlineData("false", false)]
    [InlineData("true", true)]
    public void Bind_OnnxMemoryArena_ThatSetting(string? value, bool expected)
    {
        // Arrange: as the environment variable Inference__OnnxMemoryArena gives it (null: not set).
        var settings = value is null ? [] : new[] { new KeyValuePair<string, string?>("Inference:OnnxMemoryArena", value) };
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();

        // Act
        var options = configuration.GetSection(InferenceOptions.SectionName).Get<InferenceOptions>() ?? new InferenceOptions();

        // Assert
        Assert.Equal(expected, options.OnnxMemoryArena);
    }

    [Theory]
    [InlineData(null, true)]
    [InlineData("false", false)]
    [InlineData("true", true)]
    public void Bind_OnnxMemoryPattern_ThatSetting(string? value, bool expected)
    {
        // Arrange: as the environment variable Inference__OnnxMemoryPattern gives it (null: not set).
        var settings = value is null ? [] : new[] { new KeyValuePair<string, string?>("Inference:OnnxMemoryPattern", value) };
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();

        // Act
        var options = configuration.GetSection(InferenceOptions.SectionName).Get<InferenceOptions>() ?? new InferenceOptions();

        // Assert
        Assert.Equal(expected, options.OnnxMemoryPattern);
    }
}
