using Microsoft.Extensions.Logging.Abstractions;
using S3Router.Api.V1;
using S3Router.Core.Errors;
using S3Router.Testing;
using S3Router.TrainingService.Jobs;
using S3Router.TrainingService.Model;
using S3Router.TrainingService.Training;
using S3Router.TrainingService.Training.Data;
using S3Router.TrainingService.Training.Pretraining;
using static TorchSharp.torch;

namespace S3Router.TrainingService.Tests.Training.Pretraining;

public sealed class TargetBuilderTests : IDisposable
{
    private const int Clusters = 8;

    private const string Corpus = "1111111111111111111111111111111111111111111111111111111111111111";

    private readonly TrainingTestData _data = new();
    private readonly string _manifests;
    private readonly SpeechDataset _train;
    private readonly Wav2Vec2Model _student;

    public TargetBuilderTests()
    {
        _manifests = _data.CreateSpokenWords();
        _train = new SpeechDataset("train", ManifestReader.ReadAudio(_manifests, "train").Select(a => new DatasetItem(a.Path, a.Samples, "", [])).ToList());
        manual_seed(11);
        _student = Wav2Vec2Model.Create(TrainingTestData.TinyConfig with { MaskTimeProb = 0.05 });
    }

    public void Dispose()
    {
        _student.Dispose();
        _data.Dispose();
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public void Build_BackboneLayer_OneClusterInRangePerStudentFrame(int layer)
    {
        // Act
        var targets = Builder("layer").Build(_train, Corpus, Options(_data.BackboneDir, layer), _student, TestContext.Current.CancellationToken);

        // Assert
        Assert.Equal(Clusters, targets.K);
        var table = Assert.IsAssignableFrom<IReadOnlyList<long[]>>(targets.Table);
        Assert.Equal(_train.Count, table.Count);
        for (var i = 0; i < _train.Count; i++)
        {
            Assert.Equal(_student.OutputFrames(_train.Items[i].Samples), table[i].Length);
            Assert.All(table[i], id => Assert.InRange(id, 0, Clusters - 1));
        }

        Assert.True(table.SelectMany(r => r).Distinct().Count() > 1, "every frame fell in one cluster");
    }

    [Fact]
    public void Build_SameSeedInTwoWorkDirectories_SameTargets()
    {
        // Act
        var first = Builder("first").Build(_train, Corpus, Options(_data.BackboneDir, 1), _student, TestContext.Current.CancellationToken);
        var second = Builder("second").Build(_train, Corpus, Options(_data.BackboneDir, 1), _student, TestContext.Current.CancellationToken);

        // Assert
        Assert.Equal(first.Table!.Select(r => string.Join(",", r)), second.Table!.Select(r => string.Join(",", r)));
        Assert.Equal(
            File.ReadAllText(Path.Combine(_data.WorkDir("first"), TargetBuilder.KMeansFileName)),
            File.ReadAllText(Path.Combine(_data.WorkDir("second"), TargetBuilder.KMeansFileName)));
    }

    [Fact]
    public void Build_AgainWithSameSettings_ReusesFittedTargets()
    {
        // Arrange
        var first = Builder("again").Build(_train, Corpus, Options(_data.BackboneDir, 1), _student, TestContext.Current.CancellationToken);
        var kmeansPath = Path.Combine(_data.WorkDir("again"), TargetBuilder.KMeansFileName);
        File.SetLastWriteTimeUtc(kmeansPath, new DateTime(2001, 1, 1, 0, 0, 0, DateTimeKind.Utc));

        // Act
        var second = Builder("again").Build(_train, Corpus, Options(_data.BackboneDir, 1), _student, TestContext.Current.CancellationToken);

        // Assert: not fitted again, same table.
        Assert.Equal(2001, File.GetLastWriteTimeUtc(kmeansPath).Year);
        Assert.Equal(first.Table!.Select(r => string.Join(",", r)), second.Table!.Select(r => string.Join(",", r)));
    }

    [Fact]
    public void Build_OffsetIntoUtterance_StartsAtTheNearestTableFrame()
    {
        // Arrange
        var targets = Builder("offset").Build(_train, Corpus, Options(_data.BackboneDir, 1), _student, TestContext.Current.CancellationToken);
        var row = targets.Table![0];

        // Act: a crop starting 2 frames (640 samples) into utterance 0, running past its end.
        var cropped = targets.For(0, [], offset: 640, frames: row.Length);

        // Assert
        Assert.Equal(row.Skip(2), cropped.Take(row.Length - 2));
        Assert.Equal([row[^1], row[^1]], cropped.TakeLast(2));
    }

    [Theory]
    [InlineData(2, 0)] // another layer
    [InlineData(1, 4)] // other clusters
    [InlineData(-1, 0)] // MFCC targets
    public void Build_ResumeWithOtherTargets_FailedPreconditionNamingBoth(int layer, int clusters)
    {
        // Arrange
        Builder("resume").Build(_train, Corpus, Options(_data.BackboneDir, 1), _student, TestContext.Current.CancellationToken);
        var other = layer < 0 ? Options("", null, clusters) : Options(_data.BackboneDir, layer, clusters);

        // Act
        var error = Assert.Throws<FailedPreconditionException>(() => Builder("resume").Build(_train, Corpus, other, _student, TestContext.Current.CancellationToken));

        // Assert
        Assert.Contains("layer 1 of", error.Message, StringComparison.Ordinal);
        Assert.Contains(layer < 0 ? "MFCC" : clusters > 0 ? "4 k-means clusters" : "layer 2 of", error.Message, StringComparison.Ordinal);
        Assert.Contains("fresh work directory", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Build_SameTargetsOfAnotherCorpus_FailedPreconditionNamingBothCorpora()
    {
        // Arrange: the targets of one corpus in the work directory (checkpoints deleted), then a rebuilt corpus.
        Builder("rebuilt").Build(_train, Corpus, Options(_data.BackboneDir, 1), _student, TestContext.Current.CancellationToken);
        var rebuilt = new string('2', 64);

        // Act
        var error = Assert.Throws<FailedPreconditionException>(
            () => Builder("rebuilt").Build(_train, rebuilt, Options(_data.BackboneDir, 1), _student, TestContext.Current.CancellationToken));

        // Assert
        Assert.Contains("training manifest sha256 111111111111", error.Message, StringComparison.Ordinal);
        Assert.Contains("training manifest sha256 222222222222", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Build_MfccWorkDirectoryThenBackboneTargets_FailedPrecondition()
    {
        // Arrange
        Builder("mfcc").Build(_train, Corpus, Options("", null), _student, TestContext.Current.CancellationToken);

        // Act
        var error = Assert.Throws<FailedPreconditionException>(
            () => Builder("mfcc").Build(_train, Corpus, Options(_data.BackboneDir, 1), _student, TestContext.Current.CancellationToken));

        // Assert
        Assert.Contains("MFCC", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Build_LayerPastTheLast_InvalidInputNamingTargetsLayer()
    {
        // Act
        var error = Assert.Throws<InvalidInputException>(
            () => Builder("layer3").Build(_train, Corpus, Options(_data.BackboneDir, 3), _student, TestContext.Current.CancellationToken));

        // Assert
        Assert.Equal("pretrain.targets_layer", Assert.Single(error.Violations).Field);
        Assert.Contains("0 (the transformer's input) to 2", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Build_MissingFolder_InvalidInputNamingTargetsBackbone()
    {
        // Act
        var error = Assert.Throws<InvalidInputException>(
            () => Builder("missing").Build(_train, Corpus, Options(Path.Combine(_data.Root, "no-such-backbone"), 1), _student, TestContext.Current.CancellationToken));

        // Assert
        Assert.Equal("pretrain.targets_backbone_path", Assert.Single(error.Violations).Field);
        Assert.Contains("does not exist", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Build_OtherConvFrontend_InvalidInputNamingTargetsBackbone()
    {
        // Arrange: a backbone with a 20-sample hop instead of the student's 320.
        var directory = Path.Combine(_data.Root, "other-frontend");
        using (var model = Wav2Vec2Model.Create(TinyConfigs.Base))
        {
            model.SaveHuggingFace(directory);
        }

        // Act
        var error = Assert.Throws<InvalidInputException>(
            () => Builder("frontend").Build(_train, Corpus, Options(directory, 1), _student, TestContext.Current.CancellationToken));

        // Assert
        Assert.Equal("pretrain.targets_backbone_path", Assert.Single(error.Violations).Field);
        Assert.Contains("conv frontend", error.Message, StringComparison.Ordinal);
    }

    private TargetBuilder Builder(string name)
    {
        var directory = _data.WorkDir(name);
        Directory.CreateDirectory(directory);
        return new TargetBuilder(NullLogger.Instance, new JobRunContext("job-" + name, directory, _ => { }));
    }

    private JobOptions Options(string targetsBackbone, int? layer, int clusters = 0)
    {
        var pretrain = new PretrainSpec { TargetsBackbonePath = targetsBackbone, Clusters = clusters == 0 ? Clusters : clusters };
        if (layer is { } l)
        {
            pretrain.TargetsLayer = l;
        }

        return JobOptions.Resolve(new JobSpec
        {
            Kind = JobKind.Pretrain,
            BackbonePath = "preset:tiny",
            Dataset = new DatasetSpec { ManifestDir = _manifests },
            Seed = 5,
            Pretrain = pretrain,
        });
    }
}
