using System.ComponentModel.DataAnnotations;
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

    [Theory]
    [InlineData(null, 60.0)]
    [InlineData("0", 0.0)]
    [InlineData("7.5", 7.5)]
    public void Bind_MaxBatchAudioSeconds_ThatCap(string? value, double expected)
    {
        // Arrange: as the environment variable Inference__MaxBatchAudioSeconds gives it (null: not set).
        var settings = value is null ? [] : new[] { new KeyValuePair<string, string?>("Inference:MaxBatchAudioSeconds", value) };
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();

        // Act
        var options = configuration.GetSection(InferenceOptions.SectionName).Get<InferenceOptions>() ?? new InferenceOptions();

        // Assert
        Assert.Equal(expected, options.MaxBatchAudioSeconds);
    }

    [Theory]
    [InlineData(0.0, true)]
    [InlineData(60.0, true)]
    [InlineData(3600.0, true)]
    [InlineData(-1.0, false)]
    [InlineData(3600.5, false)]
    public void Validate_MaxBatchAudioSeconds_WithinZeroToAnHour(double seconds, bool valid)
    {
        // Arrange
        var options = new InferenceOptions { MaxBatchAudioSeconds = seconds };
        var errors = new List<ValidationResult>();

        // Act
        var ok = Validator.TryValidateObject(options, new ValidationContext(options), errors, validateAllProperties: true);

        // Assert
        Assert.Equal(valid, ok);
        Assert.Equal(valid ? [] : [nameof(InferenceOptions.MaxBatchAudioSeconds)], errors.SelectMany(e => e.MemberNames));
    }
}
