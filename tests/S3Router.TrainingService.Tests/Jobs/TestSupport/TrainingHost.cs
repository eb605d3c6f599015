using System.Net;
using System.Net.Sockets;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using S3Router.Api.V1;
using S3Router.Core.Hosting;
using S3Router.TrainingService.Extensions;
using S3Router.TrainingService.Jobs;

namespace S3Router.TrainingService.Tests.Jobs.TestSupport;

/// <summary>The training service on real Kestrel on loopback with a given runner, and a GrpcChannel to it.</summary>
internal sealed class TrainingHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private TrainingHost(WebApplication app, int grpcPort, int metricsPort)
    {
        _app = app;
        MetricsPort = metricsPort;
        Channel = GrpcChannel.ForAddress($"http://127.0.0.1:{grpcPort}");
        Client = new S3Router.Api.V1.Training.TrainingClient(Channel);
    }

    public GrpcChannel Channel { get; }

    public S3Router.Api.V1.Training.TrainingClient Client { get; }

    public int MetricsPort { get; }

    /// <summary>Starts the service; with no <paramref name="runner"/> it runs the real TorchSharp engine.</summary>
    public static async Task<TrainingHost> StartAsync(string dataDirectory, IJobRunner? runner, IDictionary<string, string?>? settings = null)
    {
        var grpcPort = FreePort();
        var metricsPort = FreePort();
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Production" });
        builder.Configuration["Service:ListenAddress"] = "127.0.0.1";
        builder.Configuration["Training:DataDirectory"] = dataDirectory;
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            builder.Configuration[key] = value;
        }

        builder.Logging.ClearProviders();
        if (runner is not null)
        {
            builder.Services.AddSingleton(runner);
        }

        builder.AddServiceDefaults(grpcPort, metricsPort);
        builder.AddTrainingServices();
        var app = builder.Build();
        app.MapDefaultEndpoints();
        app.MapTraining();
        await app.StartAsync(TestContext.Current.CancellationToken);
        return new TrainingHost(app, grpcPort, metricsPort);
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

    public async ValueTask DisposeAsync()
    {
        Channel.Dispose();
        await _app.DisposeAsync();
        SqliteConnection.ClearAllPools();
    }

    internal static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
