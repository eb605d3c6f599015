using Microsoft.Extensions.Logging.Abstractions;
using S3Router.Api.V1;
using S3Router.Core.Errors;
using S3Router.TrainingService.Jobs;
using S3Router.TrainingService.Model;
using S3Router.TrainingService.Training;
using S3Router.TrainingService.Training.Scoring;
using static TorchSharp.torch;

namespace S3Router.TrainingService.Tests.Training.Scoring;

public sealed class RouteEvaluatorTests(ITestOutputHelper output) : IDisposable
{
    private static readonly string[] CtcMetrics = ["test_cer", "test_wer", "test_cer_beam", "test_wer_beam"];

    private readonly TrainingTestData _data = new();

    public void Dispose() => _data.Dispose();

    [Theory]
    [InlineData(JobKind.Mask)]
    [InlineData(JobKind.Head)]
    [InlineData(JobKind.Weights)]
    public async Task Evaluate_RouteOnItsJobsTestSplit_ReproducesTheJobsTestMetrics(JobKind kind)
    {
        // Arrange: a route that has learned a little, so its metrics are not the trivial ones.
        var manifests = _data.CreateSpokenWords();
        var job = await Runner().RunAsync(_data.AsrSpec(kind, manifests, steps: 60, lr: 2e-2), Context(kind.ToString()), TestContext.Current.CancellationToken);
        var progress = new List<(int Done, int Total)>();

        // Act
        var score = RouteEvaluator.Evaluate(
            new RouteScoreRequest { RoutePath = job.OutputPath, BackbonePath = _data.BackboneDir, ManifestDir = manifests, MaxTokens = 40_000 },
            (done, total) => progress.Add((done, total)), TestContext.Current.CancellationToken);

        // Assert
        output.WriteLine($"{kind}: job {Describe(job.Metrics)}; eval {Describe(score.Metrics)}");
        Assert.True(score.IsCtc);
        Assert.Equal(("asr", "en", 8, 0), (score.Task, score.Language, score.Utterances, score.UnknownLabels));
        foreach (var name in CtcMetrics)
        {
            Assert.Equal(job.Metrics[name], score.Metrics[name], 6);
        }

        Assert.Equal(job.Metrics["test_loss"], score.Metrics["test_loss"], job.Metrics["test_loss"] * 1e-4);
        Assert.Equal((8, 8), progress[^1]);
        Assert.Empty(score.Predictions);
    }

    [Fact]
    public async Task Evaluate_ClassifierWithPredictionsKept_GivesEachUtteranceInManifestOrderAgreeingWithTheAccuracy()
    {
        // Arrange: small batches, so the batches (in length order) visit the utterances out of manifest order.
        var spec = new JobSpec
        {
            Kind = JobKind.Head, Task = "intent", LanguageCode = "und", BackbonePath = _data.BackboneDir,
            Dataset = new DatasetSpec { ManifestDir = _data.CreateTones() }, Head = new HeadSpec { Pooling = "mean" },
            Optimization = new OptimizationSpec { MaxSteps = 20, LearningRate = 2e-2, MaxTokens = 60_000, EvalIntervalSteps = 50, CheckpointIntervalSteps = 1000 },
            Seed = 5,
        };
        var job = await Runner().RunAsync(spec, Context("tones"), TestContext.Current.CancellationToken);
        var manifests = spec.Dataset.ManifestDir;
        var request = new RouteScoreRequest
        {
            RoutePath = job.OutputPath, BackbonePath = _data.BackboneDir, ManifestDir = manifests, MaxTokens = 20_000, KeepPredictions = true,
        };

        // Act
        var score = RouteEvaluator.Evaluate(request, null, TestContext.Current.CancellationToken);

        // Assert
        var predictions = score.Predictions;
        var listed = File.ReadAllLines(Path.Combine(manifests, "test.tsv")).Skip(1).Select(l => Path.Combine(manifests, l.Split('\t')[0]));
        Assert.Equal(listed, predictions.Select(p => p.Audio));
        Assert.Equal(File.ReadAllLines(Path.Combine(manifests, "test.label")), predictions.Select(p => p.Reference));
        Assert.All(predictions, p =>
        {
            Assert.Contains(p.Predicted, new[] { "tone", "noise", "clicks" });
            Assert.InRange(p.Probability, 1.0 / 3, 1.0);
            Assert.True(double.IsNaN(p.CharacterErrorRate));
            Assert.Null(p.BeamPredicted);
        });
        Assert.Equal(score.Metrics["test_accuracy"], predictions.Average(p => p.Predicted == p.Reference ? 1.0 : 0.0), 9);
    }

    [Fact]
    public async Task Evaluate_CtcWithPredictionsKept_PerUtteranceErrorsAddUpToTheSplitsCer()
    {
        // Arrange
        var manifests = _data.CreateSpokenWords();
        var job = await Runner().RunAsync(_data.AsrSpec(JobKind.Head, manifests, steps: 20, lr: 2e-2), Context("head"), TestContext.Current.CancellationToken);
        var request = new RouteScoreRequest
        {
            RoutePath = job.OutputPath, BackbonePath = _data.BackboneDir, ManifestDir = manifests, MaxTokens = 20_000, KeepPredictions = true,
        };

        // Act
        var score = RouteEvaluator.Evaluate(request, null, TestContext.Current.CancellationToken);

        // Assert: the split's CER is total edits over total reference characters (words joined by one space).
        var predictions = score.Predictions;
        Assert.Equal(8, predictions.Count);
        var characters = predictions.Select(p => (double)string.Join(' ', p.Reference.Split(' ', StringSplitOptions.RemoveEmptyEntries)).Length).ToList();
        Assert.Equal(score.Metrics["test_cer"], predictions.Select((p, i) => p.CharacterErrorRate * characters[i]).Sum() / characters.Sum(), 9);
        Assert.Equal(score.Metrics["test_cer_beam"], predictions.Select((p, i) => p.BeamCharacterErrorRate * characters[i]).Sum() / characters.Sum(), 9);
        Assert.All(predictions, p => Assert.NotNull(p.BeamPredicted));
        Assert.All(predictions, p => Assert.True(double.IsNaN(p.Probability)));
    }

    [Fact]
    public async Task Evaluate_CharactersOutsideTheRoutesLabels_ThrowsVocabularyMismatchNamingThem()
    {
        // Arrange: "zap" has z and a, which none of go/stop/yes/no has; "yes" has every letter in the vocabulary.
        var manifests = _data.CreateSpokenWords();
        var job = await Runner().RunAsync(_data.AsrSpec(JobKind.Head, manifests, steps: 2, lr: 1e-3), Context("head"), TestContext.Current.CancellationToken);
        WriteSplit(manifests, "other", ["z a p |", "z a p |", "y e s |"]);
        var request = new RouteScoreRequest { RoutePath = job.OutputPath, BackbonePath = _data.BackboneDir, ManifestDir = manifests, Split = "other" };

        // Act
        var error = Assert.Throws<VocabularyMismatchException>(() => RouteEvaluator.Evaluate(request, null, TestContext.Current.CancellationToken));

        // Assert
        output.WriteLine(error.Message);
        Assert.Equal(new Dictionary<string, int> { ["z"] = 2, ["a"] = 2 }, error.Missing.ToDictionary());
        Assert.Equal(2, error.AffectedUtterances);
        Assert.Contains("2 of 3 utterances of split 'other'", error.Message, StringComparison.Ordinal);
        Assert.Contains("'z' (U+007A) ×2", error.Message, StringComparison.Ordinal);
        Assert.IsAssignableFrom<InvalidInputException>(error);
    }

    [Fact]
    public async Task Evaluate_UnknownCharactersAllowed_ScoresThemAsErrors()
    {
        // Arrange
        var manifests = _data.CreateSpokenWords();
        var job = await Runner().RunAsync(_data.AsrSpec(JobKind.Head, manifests, steps: 2, lr: 1e-3), Context("head"), TestContext.Current.CancellationToken);
        WriteSplit(manifests, "other", ["z a p |", "z a p |", "y e s |"]);
        var request = new RouteScoreRequest
        {
            RoutePath = job.OutputPath, BackbonePath = _data.BackboneDir, ManifestDir = manifests, Split = "other", AllowUnknownLabels = true,
            MetricPrefix = "real", Beam = false,
        };

        // Act
        var score = RouteEvaluator.Evaluate(request, null, TestContext.Current.CancellationToken);

        // Assert
        Assert.Equal((3, 4), (score.Utterances, score.UnknownLabels));
        Assert.Equal(["real_cer", "real_loss", "real_wer"], score.Metrics.Keys.Order(StringComparer.Ordinal));
        Assert.InRange(score.Metrics["real_cer"], 0.0, 10.0);
    }

    [Fact]
    public async Task Evaluate_BundleOnAnotherBackbone_ThrowsFailedPrecondition()
    {
        // Arrange
        var manifests = _data.CreateSpokenWords();
        var job = await Runner().RunAsync(_data.AsrSpec(JobKind.Mask, manifests, steps: 2, lr: 1e-3), Context("mask"), TestContext.Current.CancellationToken);
        var other = Path.Combine(_data.Root, "other-backbone");
        manual_seed(99);
        using (var model = Wav2Vec2Model.Create(TrainingTestData.TinyConfig))
        {
            model.SaveHuggingFace(other);
        }

        // Act
        var error = Assert.Throws<FailedPreconditionException>(() => RouteEvaluator.Evaluate(
            new RouteScoreRequest { RoutePath = job.OutputPath, BackbonePath = other, ManifestDir = manifests }, null, TestContext.Current.CancellationToken));

        // Assert
        Assert.Contains("trained on backbone", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Evaluate_MissingRoute_ThrowsNotFound()
    {
        // Arrange
        var manifests = _data.CreateSpokenWords();
        var request = new RouteScoreRequest { RoutePath = Path.Combine(_data.Root, "nothing.safetensors"), BackbonePath = _data.BackboneDir, ManifestDir = manifests };

        // Act
        var error = Assert.Throws<NotFoundException>(() => RouteEvaluator.Evaluate(request, null, TestContext.Current.CancellationToken));

        // Assert
        Assert.Contains("nothing.safetensors", error.Message, StringComparison.Ordinal);
    }

    /// <summary>A split over the first audio files of the test split, with the given letter transcripts.</summary>
    private static void WriteSplit(string manifests, string split, IReadOnlyList<string> letters)
    {
        var audio = File.ReadAllLines(Path.Combine(manifests, "test.tsv"));
        File.WriteAllLines(Path.Combine(manifests, split + ".tsv"), audio.Take(letters.Count + 1));
        File.WriteAllLines(Path.Combine(manifests, split + ".ltr"), letters);
    }

    private static string Describe(IEnumerable<KeyValuePair<string, double>> metrics) =>
        string.Join(", ", metrics.OrderBy(m => m.Key, StringComparer.Ordinal).Select(m => $"{m.Key}={m.Value:F4}"));

    private static JobRunner Runner() => new(NullLogger<JobRunner>.Instance, TimeProvider.System);

    private JobRunContext Context(string name) => new("job-" + name, _data.WorkDir(name), _ => { });
}
