using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.DependencyInjection;
using S3Router.Api.V1;
using S3Router.Testing;
using S3Router.TrainingService.Extensions;
using S3Router.TrainingService.Jobs;

namespace S3Router.TrainingService.Tests.Jobs.TestSupport;

/// <summary>The training service on real Kestrel on loopback with a given runner, and a client to it.</summary>
internal sealed class TrainingHost : IAsyncDisposable
{
    private readonly LoopbackService _service;

    private TrainingHost(LoopbackService service)
    {
        _service = service;
        Client = new S3Router.Api.V1.Training.TrainingClient(service.Channel);
    }

    public GrpcChannel Channel => _service.Channel;

    public S3Router.Api.V1.Training.TrainingClient Client { get; }

    public int MetricsPort => _service.MetricsPort;

    /// <summary>Starts the service; with no <paramref name="runner"/> it runs the real TorchSharp engine.</summary>
    public static async Task<TrainingHost> StartAsync(string dataDirectory, IJobRunner? runner, IDictionary<string, string?>? settings = null)
    {
        var service = await LoopbackService.StartAsync(
            [new("Training:DataDirectory", dataDirectory), .. settings ?? new Dictionary<string, string?>()],
            builder =>
            {
                if (runner is not null)
                {
                    builder.Services.AddSingleton(runner);
                }
                builder.AddTrainingServices();
            },
            app => app.MapTraining(),
            TestContext.Current.CancellationToken);
        return new TrainingHost(service);
    }

    public async Task<Job> SubmitAsync(JobSpec spec, string requestId = "") =>
        (await Client.SubmitJobAsync(new SubmitJobRequest { Spec = spec, RequestId = requestId }, cancellationToken: TestContext.Current.CancellationToken)).Job;

    /// <summary>Watches the job until <paramref name="until"/> holds (or the stream ends); returns every state seen.</summary>
    public async Task<List<Job>> WatchAsync(string jobId, Func<Job, bool>? until = null)
    {
        var seen = new List<Job>();
        using var call = Client.WatchJob(new WatchJobRequest { JobId = jobId }, cancellationToken: TestContext.Current.CancellationToken);
        await foreach (var message in call.ResponseStream.ReadAllAsync(TestContext.Current.CancellationToken))
        {
            seen.Add(message.Job);
            if (until?.Invoke(message.Job) == true)
            {
                break;
            }
        }

        return seen;
    }

    public ValueTask DisposeAsync() => _service.DisposeAsync();
}
