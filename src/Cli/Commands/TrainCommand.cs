using System.CommandLine;
using System.Security.Cryptography;
using System.Text;
using System.Threading.Channels;
using Google.Protobuf;
using Grpc.Core;
using S3Router.Api.V1;
using S3Router.Core.Errors;
using S3Router.TrainingService;
using S3Router.TrainingService.Jobs;
using Spectre.Console;

namespace S3Router.Cli.Commands;

/// <summary>
/// <c>s3r train submit|watch|list|cancel</c>: a thin client of the training service; <c>s3r train run</c>: one job in
/// this process (e.g. a Kubernetes Job), resuming from its work directory's checkpoint when run again; <c>s3r train eval</c>:
/// score a finished route on a manifest split (<see cref="TrainEvalCommand"/>).
/// </summary>
internal static class TrainCommand
{
    private static readonly Option<string> Target = new("--target")
    {
        Description = "gRPC address of the training service (default: $S3R_TRAINING or http://localhost:50054)",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("S3R_TRAINING") is { Length: > 0 } t ? t : "http://localhost:50054",
        Recursive = true,
    };

    public static Command Create() => new("train", "Training jobs: submit to the training service, watch, list, cancel, run one here, or score a finished route")
    {
        Target, Submit(), Watch(), List(), Cancel(), Run(), TrainEvalCommand.Create(),
    };

    private static Option<FileInfo> ConfigOption() => new("--config")
    {
        Description = "The job: a JobSpec as protobuf JSON (e.g. {\"kind\": \"JOB_KIND_MASK\", \"task\": \"asr\", ...})",
        Required = true,
    };

    private static Argument<string> JobIdArgument() => new("job-id") { Description = "The job's id" };

    private static Command Submit()
    {
        var config = ConfigOption();
        var requestId = new Option<string?>("--request-id") { Description = "Makes retries safe: the same id twice returns the first job" };
        var watch = new Option<bool>("--watch") { Description = "Follow the job's progress until it ends" };
        var command = new Command("submit", "Queue a job on the training service; prints its id") { config, requestId, watch };
        command.SetAction((parse, ct) => ClientAsync(parse, ct, async client =>
        {
            var spec = await ReadSpecAsync(parse.GetValue(config)!, parse.InvocationConfiguration.Error, ct);
            if (spec is null)
            {
                return 2;
            }

            var reply = await client.SubmitJobAsync(new SubmitJobRequest { Spec = spec, RequestId = parse.GetValue(requestId) ?? "" }, cancellationToken: ct);
            await parse.InvocationConfiguration.Output.WriteLineAsync(reply.Job.Id);
            return parse.GetValue(watch) ? await FollowAsync(parse, client, reply.Job.Id, ct) : 0;
        }));
        return command;
    }

    private static Command Watch()
    {
        var jobId = JobIdArgument();
        var command = new Command("watch", "Follow a job's progress until it ends; exit code 0 only when it succeeded") { jobId };
        command.SetAction((parse, ct) => ClientAsync(parse, ct, client => FollowAsync(parse, client, parse.GetValue(jobId)!, ct)));
        return command;
    }

    private static Command List()
    {
        var state = new Option<JobState?>("--state") { Description = "Only jobs in this state (Queued, Running, Succeeded, Failed, Cancelling, Cancelled)" };
        var limit = new Option<int>("--limit") { Description = "At most this many jobs, newest first", DefaultValueFactory = _ => 20 };
        var command = new Command("list", "List jobs, newest first") { state, limit };
        command.SetAction((parse, ct) => ClientAsync(parse, ct, async client =>
        {
            var remaining = Math.Max(1, parse.GetValue(limit));
            var token = "";
            var table = new Table().AddColumns("Id", "Kind", "Route", "State", "Step", "Created (UTC)");
            do
            {
                var page = await client.ListJobsAsync(new ListJobsRequest
                {
                    State = parse.GetValue(state) ?? JobState.Unspecified, PageSize = Math.Min(remaining, 1000), PageToken = token,
                }, cancellationToken: ct);
                foreach (var job in page.Jobs.Take(remaining))
                {
                    table.AddRow(job.Id, job.Spec.Kind.ToString(), $"{job.Spec.Task}/{job.Spec.LanguageCode}", JobProgressView.State(job.State),
                        $"{job.Progress?.Step ?? 0}/{job.Progress?.TotalSteps ?? 0}", job.CreateTime?.ToDateTime().ToString("yyyy-MM-dd HH:mm:ss") ?? "");
                    remaining--;
                }

                token = page.NextPageToken;
            }
            while (token.Length > 0 && remaining > 0);
            OutputConsole.Create(parse).Write(table);
            return 0;
        }));
        return command;
    }

    private static Command Cancel()
    {
        var jobId = JobIdArgument();
        var command = new Command("cancel", "Ask a job to stop (within one training step); prints its state") { jobId };
        command.SetAction((parse, ct) => ClientAsync(parse, ct, async client =>
        {
            var reply = await client.CancelJobAsync(new CancelJobRequest { JobId = parse.GetValue(jobId)! }, cancellationToken: ct);
            await parse.InvocationConfiguration.Output.WriteLineAsync($"{reply.Job.Id} {JobProgressView.State(reply.Job.State)}");
            return 0;
        }));
        return command;
    }

    private static Command Run()
    {
        var config = ConfigOption();
        var workDir = new Option<DirectoryInfo?>("--work-dir")
        {
            Description = "Checkpoints and outputs; running again with the same directory resumes (default: a folder named after the config under $S3R_DATA/training/runs or ./.s3router/training/runs)",
        };
        var command = new Command("run", "Run one job in this process with the training engine, then publish it when the config says so") { config, workDir };
        command.SetAction(async (parse, ct) =>
        {
            var file = parse.GetValue(config)!;
            var spec = await ReadSpecAsync(file, parse.InvocationConfiguration.Error, ct);
            if (spec is null)
            {
                return 2;
            }

            try
            {
                StandaloneJob.Validate(spec);
            }
            catch (InvalidInputException ex)
            {
                foreach (var violation in ex.Violations)
                {
                    await parse.InvocationConfiguration.Error.WriteLineAsync($"error: {file.Name}: {violation.Field}: {violation.Description}");
                }

                return 2;
            }

            var options = new TrainingServiceOptions
            {
                RegistryAddress = parse.GetValue(RegistryConnection.Registry)!,
                RegistryApiKey = parse.GetValue(RegistryConnection.ApiKey),
            };
            // Named after the config, so a restarted pod with the same config resumes in the same folder.
            var jobId = "run-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(spec.ToString())))[..16];
            var directory = parse.GetValue(workDir)?.FullName ?? Path.GetFullPath(Path.Combine(options.DataDirectory, "runs", jobId));
            await parse.InvocationConfiguration.Error.WriteLineAsync($"job {jobId}, work directory {directory}");

            var updates = Channel.CreateBounded<Job>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropOldest });
            var running = new Job { Id = jobId, Spec = spec, State = JobState.Running, Progress = new JobProgress { TotalSteps = spec.Optimization?.MaxSteps ?? 0 } };
            updates.Writer.TryWrite(running);
            var work = Task.Run(async () =>
            {
                var final = running.Clone();
                try
                {
                    final.Result = await StandaloneJob.RunAsync(jobId, spec, directory, options, progress =>
                    {
                        final.Progress = progress; // the summary shows where the job ended, not where it started
                        updates.Writer.TryWrite(new Job(running) { Progress = progress });
                    }, runner: null, ct);
                    final.State = JobState.Succeeded;
                }
                catch (OperationCanceledException) when (ct.IsCancellationRequested)
                {
                    final.State = JobState.Cancelled;
                    final.Error = $"interrupted; run again with --work-dir {directory} to resume from the last checkpoint";
                }
                catch (Exception ex)
                {
                    final.State = JobState.Failed;
                    final.Error = ex is S3RouterException ? ex.Message : $"{ex.GetType().Name}: {ex.Message}";
                }

                updates.Writer.TryWrite(final);
                updates.Writer.Complete();
            }, CancellationToken.None);

            // The view keeps reading after Ctrl+C so the final state (with the resume hint) is shown.
            var last = await JobProgressView.FollowAsync(parse, updates.Reader.ReadAllAsync(CancellationToken.None), CancellationToken.None);
            await work;
            return JobProgressView.PrintSummary(parse, last);
        });
        return command;
    }

    private static async Task<int> FollowAsync(ParseResult parse, Training.TrainingClient client, string jobId, CancellationToken cancellationToken)
    {
        using var call = client.WatchJob(new WatchJobRequest { JobId = jobId }, cancellationToken: cancellationToken);
        var last = await JobProgressView.FollowAsync(parse, Jobs(call.ResponseStream, cancellationToken), cancellationToken);
        return JobProgressView.PrintSummary(parse, last);
    }

    private static async IAsyncEnumerable<Job> Jobs(IAsyncStreamReader<WatchJobResponse> stream, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var message in stream.ReadAllAsync(cancellationToken))
        {
            yield return message.Job;
        }
    }

    private static async Task<JobSpec?> ReadSpecAsync(FileInfo file, TextWriter error, CancellationToken cancellationToken)
    {
        try
        {
            return JsonParser.Default.Parse<JobSpec>(await File.ReadAllTextAsync(file.FullName, cancellationToken));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidProtocolBufferException or InvalidJsonException)
        {
            await error.WriteLineAsync($"error: {file.FullName}: {ex.Message}");
            return null;
        }
    }

    private static Task<int> ClientAsync(ParseResult parse, CancellationToken cancellationToken, Func<Training.TrainingClient, Task<int>> action) =>
        GrpcCommand.RunAsync(parse, parse.GetValue(Target)!, apiKey: null, cancellationToken, (channel, _) => action(new Training.TrainingClient(channel)));
}
