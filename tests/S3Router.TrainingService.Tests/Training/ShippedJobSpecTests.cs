using Google.Protobuf;
using S3Router.Api.V1;
using S3Router.Testing;
using S3Router.TrainingService.Training;

namespace S3Router.TrainingService.Tests.Training;

/// <summary>
/// The job specs the repository ships for documented commands (the demo routes' models/tiny-ssl/routes/jobs and the
/// benchmarks' bench/jobs): each parses as <c>s3r train run --config</c> reads it and resolves to valid job options.
/// </summary>
public sealed class ShippedJobSpecTests
{
    private static readonly string Repository = Path.GetDirectoryName(RepositoryPaths.Find("S3RouterServices.sln"))!;

    public static TheoryData<string> Specs() => [.. SpecPaths()];

    [Theory]
    [MemberData(nameof(Specs))]
    public async Task Spec_AsTheCommandsFillIt_ParsesAndResolves(string relativePath)
    {
        // Arrange: the scripts and README commands replace @CORPUS@ with a corpus directory.
        var text = (await File.ReadAllTextAsync(Path.Combine(Repository, relativePath), TestContext.Current.CancellationToken))
            .Replace("@CORPUS@", "/corpus", StringComparison.Ordinal);

        // Act: an unknown or misspelled field fails the parse, a bad value the resolve.
        var spec = JsonParser.Default.Parse<JobSpec>(text);
        var options = JobOptions.Resolve(spec);

        // Assert
        Assert.StartsWith("/corpus/", spec.Dataset.ManifestDir, StringComparison.Ordinal);
        Assert.Equal(spec.Task, options.Task);
    }

    [Fact]
    public void Specs_BothFolders_Found()
    {
        Assert.Contains(SpecPaths(), path => path.StartsWith("bench", StringComparison.Ordinal));
        Assert.Contains(SpecPaths(), path => path.StartsWith("models", StringComparison.Ordinal));
    }

    private static IEnumerable<string> SpecPaths() =>
        new[] { Path.Combine("models", "tiny-ssl", "routes", "jobs"), Path.Combine("bench", "jobs") }
            .SelectMany(folder => Directory.GetFiles(Path.Combine(Repository, folder), "*.json"))
            .Select(path => Path.GetRelativePath(Repository, path))
            .Order(StringComparer.Ordinal);
}
