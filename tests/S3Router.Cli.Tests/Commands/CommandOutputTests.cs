using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using S3Router.Api.V1;
using S3Router.Testing;

namespace S3Router.Cli.Tests.Commands;

/// <summary>
/// Commands print on the output writer the caller gives <see cref="CliApp.RunAsync"/>, plain lines and Spectre tables
/// alike, in the order written, and nothing on the process's stdout (fake training and speech services on loopback).
/// </summary>
[Collection(ConsoleCollection.Name)]
public sealed class CommandOutputTests : IAsyncLifetime
{
    private const string JobId = "job-7";
    private LoopbackService _server = null!;

    public async ValueTask InitializeAsync() =>
        _server = await LoopbackService.StartAsync(
            [],
            builder => builder.Services.AddGrpc(),
            app =>
            {
                app.MapGrpcService<FakeTraining>();
                app.MapGrpcService<FakeSpeech>();
            },
            TestContext.Current.CancellationToken);

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task TrainCancel_Job_PrintsItsIdAndStateOnTheCallersWriter()
    {
        // Act
        var run = await RunAsync("train", "cancel", JobId, "--target", _server.Address);

        // Assert
        Assert.True(run.ExitCode == 0, run.Error);
        Assert.Equal($"{JobId} CANCELLING{Environment.NewLine}", run.Output);
        Assert.DoesNotContain(JobId, run.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TrainList_OneJob_PrintsTheTableOnTheCallersWriter()
    {
        // Act
        var run = await RunAsync("train", "list", "--target", _server.Address);

        // Assert
        Assert.True(run.ExitCode == 0, run.Error);
        foreach (var cell in new[] { "Id", "Route", JobId, "Mask", "asr/en", "SUCCEEDED", "10/10" })
        {
            Assert.Contains(cell, run.Output, StringComparison.Ordinal);
        }

        Assert.DoesNotContain(JobId, run.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TrainWatch_RunningThenSucceeded_PrintsOneLinePerUpdateThenTheSummaryTables()
    {
        // Act: the caller's writer is no terminal, so plain lines instead of a progress bar.
        var run = await RunAsync("train", "watch", JobId, "--target", _server.Address);

        // Assert
        Assert.True(run.ExitCode == 0, run.Error);
        var running = run.Output.IndexOf("asr/en RUNNING step 5/10 loss 1.5000", StringComparison.Ordinal);
        var succeeded = run.Output.IndexOf("asr/en SUCCEEDED step 10/10", StringComparison.Ordinal);
        var summary = run.Output.IndexOf("10 / 10", StringComparison.Ordinal);
        var metric = run.Output.IndexOf("test_cer", StringComparison.Ordinal);
        Assert.True(running >= 0 && running < succeeded && succeeded < summary && summary < metric, run.Output);
        Assert.Contains("0.25", run.Output[metric..], StringComparison.Ordinal);
        Assert.DoesNotContain(JobId, run.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TrainWatch_ResultWithThreadsAndOneDnnLevel_SummaryShowsBoth()
    {
        // Act
        var run = await RunAsync("train", "watch", JobId, "--target", _server.Address);

        // Assert: the settings a rerun needs for the same result.
        Assert.True(run.ExitCode == 0, run.Error);
        var summary = run.Output.IndexOf("10 / 10", StringComparison.Ordinal);
        Assert.True(summary >= 0, run.Output);
        Assert.Matches(@"Torch threads\W+2\W", run.Output[summary..]);
        Assert.Matches(@"oneDNN level\W+AVX2\W", run.Output[summary..]);
    }

    [Fact]
    public async Task Recognize_TwoRoutes_PrintsTheTableOnTheCallersWriter()
    {
        // Arrange: the fake gateway ignores the audio.
        using var audio = new TempDirectory();
        var path = audio.Combine("utterance.wav");
        await File.WriteAllBytesAsync(path, [0, 0, 0, 0], TestContext.Current.CancellationToken);

        // Act
        var run = await RunAsync("recognize", path, "--target", _server.Address, "--route", "speaker/und");

        // Assert
        Assert.True(run.ExitCode == 0, run.Error);
        foreach (var cell in new[] { "route", "score", "asr/en", "v3", "hello world", "0.90", "speaker/und", "alice", "0.75" })
        {
            Assert.Contains(cell, run.Output, StringComparison.Ordinal);
        }

        Assert.DoesNotContain("hello world", run.Stdout, StringComparison.Ordinal);
    }

    /// <summary>
    /// Runs <paramref name="args"/> with <see cref="Console.Out"/> swapped for a capture of its own. The test runner may
    /// write there too, so tests look for the command's text in it rather than asserting it empty.
    /// </summary>
    private static async Task<(int ExitCode, string Output, string Error, string Stdout)> RunAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        using var stdout = new StringWriter();
        var console = Console.Out;
        Console.SetOut(stdout);
        try
        {
            var exitCode = await CliApp.RunAsync(args, output, error, TestContext.Current.CancellationToken);
            return (exitCode, output.ToString(), error.ToString(), stdout.ToString());
        }
        finally
        {
            Console.SetOut(console);
        }
    }

    private static Job Job(JobState state, long step, IDictionary<string, double>? metrics = null) => new()
    {
        Id = JobId,
        Spec = new JobSpec { Kind = JobKind.Mask, Task = "asr", LanguageCode = "en" },
        State = state,
        Progress = new JobProgress { Step = step, TotalSteps = 10, Loss = 1.5, LearningRate = 1e-3, ExamplesPerSecond = 4 },
        CreateTime = Timestamp.FromDateTime(new DateTime(2026, 11, 27, 12, 0, 0, DateTimeKind.Utc)),
        Result = metrics is null ? null : new JobResult { OutputPath = "/runs/job-7/route.safetensors", Metrics = { metrics }, TorchThreads = 2, OnednnMaxIsa = "AVX2" },
    };

    private sealed class FakeTraining : Training.TrainingBase
    {
        public override Task<ListJobsResponse> ListJobs(ListJobsRequest request, ServerCallContext context) =>
            Task.FromResult(new ListJobsResponse { Jobs = { Job(JobState.Succeeded, 10) } });

        public override Task<CancelJobResponse> CancelJob(CancelJobRequest request, ServerCallContext context) =>
            Task.FromResult(new CancelJobResponse { Job = Job(JobState.Cancelling, 5) });

        public override async Task WatchJob(WatchJobRequest request, IServerStreamWriter<WatchJobResponse> responseStream, ServerCallContext context)
        {
            await responseStream.WriteAsync(new WatchJobResponse { Job = Job(JobState.Running, 5) }, context.CancellationToken);
            await responseStream.WriteAsync(new WatchJobResponse { Job = Job(JobState.Succeeded, 10, new Dictionary<string, double> { ["test_cer"] = 0.25 }) }, context.CancellationToken);
        }
    }

    private sealed class FakeSpeech : Speech.SpeechBase
    {
        public override Task<RecognizeResponse> Recognize(RecognizeRequest request, ServerCallContext context) => Task.FromResult(new RecognizeResponse
        {
            Results =
            {
                new RouteResult
                {
                    Route = new ResolvedRoute { Task = "asr", LanguageCode = "en", Version = 3 },
                    Speech = new SpeechRecognitionResult { Alternatives = { new SpeechRecognitionAlternative { Transcript = "hello world", Confidence = 0.9f } } },
                },
                new RouteResult
                {
                    Route = new ResolvedRoute { Task = "speaker", LanguageCode = "und", Version = 1 },
                    Classification = new ClassificationResult { Classes = { new ClassScore { ClassName = "alice", Score = 0.75f } } },
                },
            },
        });
    }
}
