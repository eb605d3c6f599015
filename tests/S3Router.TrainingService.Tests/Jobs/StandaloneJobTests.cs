using S3Router.Api.V1;
using S3Router.Core.Errors;
using S3Router.TrainingService.Jobs;
using S3Router.TrainingService.Tests.Jobs.TestSupport;

namespace S3Router.TrainingService.Tests.Jobs;

/// <summary><c>s3r train run</c>'s engine: one job in-process, no service.</summary>
public sealed class StandaloneJobTests : IDisposable
{
    private readonly TestData _data = new();

    public void Dispose() => _data.Dispose();

    [Fact]
    public async Task RunAsync_InterruptedThenRunAgain_ResumesInTheSameWorkDirectory()
    {
        var workDirectory = Path.Combine(_data.Root, "run");
        using var cancel = new CancellationTokenSource();
        var steps = new List<long>();
        var first = new FakeJobRunner { TotalSteps = 4 };
        void StopAfterTwo(JobProgress p)
        {
            steps.Add(p.Step);
            if (p.Step == 2)
            {
                cancel.Cancel();
            }
        }

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            StandaloneJob.RunAsync("run-1", _data.Spec(), workDirectory, new TrainingServiceOptions(), StopAfterTwo, first, cancel.Token));
        var second = new FakeJobRunner { TotalSteps = 4 };
        var result = await StandaloneJob.RunAsync("run-1", _data.Spec(), workDirectory, new TrainingServiceOptions(), p => steps.Add(p.Step), second,
            TestContext.Current.CancellationToken);

        Assert.Equal([1, 2, 3, 4], steps);
        Assert.Equal(2, Assert.Single(second.Calls).ResumedFromStep);
        Assert.Equal(Path.Combine(workDirectory, FakeJobRunner.BundleFile), result.OutputPath);
        Assert.Null(result.Published);
    }

    [Fact]
    public async Task RunAsync_InvalidSpec_ThrowsBeforeTheRunnerWithConfigFieldNames()
    {
        var runner = new FakeJobRunner();
        var spec = _data.Spec();
        spec.LanguageCode = "";

        var error = await Assert.ThrowsAsync<InvalidInputException>(() =>
            StandaloneJob.RunAsync("run-2", spec, Path.Combine(_data.Root, "run"), new TrainingServiceOptions(), _ => { }, runner, TestContext.Current.CancellationToken));

        Assert.Equal("language_code", Assert.Single(error.Violations).Field);
        Assert.Empty(runner.Calls);
    }
}
