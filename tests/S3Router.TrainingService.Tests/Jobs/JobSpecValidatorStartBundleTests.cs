using S3Router.Api.V1;
using S3Router.Core.Errors;
using S3Router.Core.Masks;
using S3Router.TrainingService.Jobs;
using S3Router.TrainingService.Tests.Training;

namespace S3Router.TrainingService.Tests.Jobs;

public sealed class JobSpecValidatorStartBundleTests : IDisposable
{
    private readonly TrainingTestData _data = new();
    private readonly string _tones;

    public JobSpecValidatorStartBundleTests() => _tones = _data.CreateTones();

    public void Dispose() => _data.Dispose();

    [Fact]
    public void Validate_RouteOfThisBackbone_Passes()
    {
        var path = Route(BackboneDigest());

        var exception = Record.Exception(() => JobSpecValidator.Validate(Spec(JobKind.StructuredPrune, path)));

        Assert.Null(exception);
    }

    [Fact]
    public void Validate_MissingFile_NamesTheField()
    {
        var message = Violation(Spec(JobKind.StructuredPrune, Path.Combine(_data.Root, "missing.safetensors")));

        Assert.Contains("does not exist", message);
    }

    [Fact]
    public void Validate_NotABundle_NamesTheField()
    {
        var path = Path.Combine(_data.Root, "garbage.safetensors");
        File.WriteAllText(path, "not a bundle");

        var message = Violation(Spec(JobKind.StructuredPrune, path));

        Assert.Contains("is not a mask bundle", message);
    }

    [Fact]
    public void Validate_RouteOfAnotherBackbone_NamesBothDigests()
    {
        var other = new string('b', 64);

        var message = Violation(Spec(JobKind.StructuredPrune, Route(other)));

        Assert.Contains(other, message);
        Assert.Contains(BackboneDigest(), message);
    }

    [Fact]
    public void Validate_WithFinetunedModelPath_IsExclusive()
    {
        var spec = Spec(JobKind.StructuredPrune, Route(BackboneDigest()));
        spec.FinetunedModelPath = _data.BackboneDir;

        var message = Violation(spec);

        Assert.Contains("excludes finetuned_model_path", message);
    }

    [Fact]
    public void Validate_HeadKindOtherThanRoute_IsRefused()
    {
        var spec = Spec(JobKind.Head, Route(BackboneDigest()));
        spec.Head = new HeadSpec { Kind = HeadKind.Ctc };
        spec.Dataset.LabelExtension = "label";

        var message = Violation(spec);

        Assert.Contains("head is a classifier", message);
    }

    [Theory]
    [InlineData(JobKind.Mask)]
    [InlineData(JobKind.Weights)]
    [InlineData(JobKind.Prune)]
    public void Validate_OtherJobKinds_AreRefused(JobKind kind)
    {
        var spec = Spec(kind, Route(BackboneDigest()));
        spec.FinetunedModelPath = kind == JobKind.Prune ? _data.BackboneDir : "";

        var message = Violation(spec);

        Assert.Contains("is for JOB_KIND_STRUCTURED_PRUNE and JOB_KIND_HEAD", message);
    }

    private static string Violation(JobSpec spec)
    {
        var error = Assert.Throws<InvalidInputException>(() => JobSpecValidator.Validate(spec));
        return Assert.Single(error.Violations, v => v.Field == "spec.start_bundle_path").Description;
    }

    private string Route(string digest)
    {
        var path = Path.Combine(_data.Root, $"route-{digest[..8]}.safetensors");
        RouteBundles.Write(path, digest);
        return path;
    }

    private string BackboneDigest() => Sha256Digest.OfFile(Path.Combine(_data.BackboneDir, "model.safetensors"));

    private JobSpec Spec(JobKind kind, string startBundle) => new()
    {
        Kind = kind,
        Task = "intent",
        LanguageCode = "und",
        BackbonePath = _data.BackboneDir,
        StartBundlePath = startBundle,
        Dataset = new DatasetSpec { ManifestDir = _tones },
    };
}
