using System.Collections.Concurrent;
using System.Net;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using S3Router.Api.V1;

namespace S3Router.Gateway.Tests.TestSupport;

/// <summary>
/// A fake inference pod: a real gRPC Speech server on loopback that names itself in every answer
/// (<c>results[0].route.digest</c>), can be made to fail, hang, or be stopped, and records what it observed.
/// </summary>
internal sealed class FakeBackend : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _calls;
    private bool _stopped;

    private FakeBackend(string name, WebApplication app)
    {
        Name = name;
        _app = app;
    }

    public string Name { get; }

    /// <summary>The base address; the port is the one the OS gave at start (no race for a "free" port).</summary>
    public string Address { get; private set; } = "";

    public BackendBehavior Behavior { get; set; } = BackendBehavior.Normal;

    /// <summary>When set, a Normal answer waits for this task first (to order events across backends without sleeping).</summary>
    public Task? AnswerAfter { get; set; }

    /// <summary>Calls that reached this backend (any method).</summary>
    public int Calls => Volatile.Read(ref _calls);

    /// <summary>Deadlines of the calls received, as this server saw them.</summary>
    public ConcurrentQueue<DateTime> Deadlines { get; } = new();

    /// <summary>The serialized RecognizeRequest of every Recognize call received, byte for byte.</summary>
    public ConcurrentQueue<byte[]> RecognizeMessages { get; } = new();

    /// <summary>Completes when the first call arrived.</summary>
    public TaskCompletionSource FirstCall { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes when a hanging call saw its cancellation token fire.</summary>
    public TaskCompletionSource CancellationObserved { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public static async Task<FakeBackend> StartAsync(string name)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Production" });
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, l => l.Protocols = HttpProtocols.Http2));
        builder.Services.AddGrpc();
        var holder = new Holder();
        builder.Services.AddSingleton(holder);
        var app = builder.Build();
        FakeBackend? started = null;
        app.Use(async (context, next) =>
        {
            // Keep each Recognize message's bytes as they arrived (after the 5-byte gRPC frame prefix), before gRPC parses them.
            if (context.Request.Path == "/s3router.v1.Speech/Recognize")
            {
                context.Request.EnableBuffering();
                using var body = new MemoryStream();
                await context.Request.Body.CopyToAsync(body, context.RequestAborted);
                context.Request.Body.Position = 0;
                started!.RecognizeMessages.Enqueue(body.ToArray()[5..]);
            }
            await next(context);
        });
        app.MapGrpcService<FakeSpeech>();
        var backend = started = new FakeBackend(name, app);
        holder.Backend = backend;
        await app.StartAsync(TestContext.Current.CancellationToken);
        var port = new Uri(app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single()).Port;
        backend.Address = $"http://127.0.0.1:{port}";
        return backend;
    }

    /// <summary>Kills the backend: its port closes and every later call to it fails.</summary>
    public async Task StopAsync()
    {
        _stopped = true;
        await _app.StopAsync(TestContext.Current.CancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stopped)
        {
            await _app.StopAsync(CancellationToken.None);
        }
        await _app.DisposeAsync();
    }

    private ResolvedRoute Route(string task, string language) => new() { Task = task, LanguageCode = language, Version = 1, Digest = Name };

    private async Task EnterAsync(ServerCallContext context)
    {
        Interlocked.Increment(ref _calls);
        Deadlines.Enqueue(context.Deadline);
        FirstCall.TrySetResult();
        switch (Behavior)
        {
            case BackendBehavior.Unavailable:
                throw new RpcException(new Status(StatusCode.Unavailable, $"{Name} is unavailable"));
            case BackendBehavior.NotFound:
                throw new RpcException(new Status(StatusCode.NotFound, $"{Name}: no such route"));
            case BackendBehavior.Hang:
                try
                {
                    await Task.Delay(Timeout.Infinite, context.CancellationToken);
                }
                catch (OperationCanceledException)
                {
                    CancellationObserved.TrySetResult();
                    throw;
                }
                break;
            default:
                if (AnswerAfter is { } gate)
                {
                    await gate.WaitAsync(context.CancellationToken);
                }
                break;
        }
    }

    private sealed class Holder
    {
        public FakeBackend Backend { get; set; } = null!;
    }

    private sealed class FakeSpeech(Holder holder) : Speech.SpeechBase
    {
        private FakeBackend Backend => holder.Backend;

        public override async Task<RecognizeResponse> Recognize(RecognizeRequest request, ServerCallContext context)
        {
            await Backend.EnterAsync(context);
            return new RecognizeResponse
            {
                RequestId = Backend.Name,
                Results = { new RouteResult { Route = Backend.Route(request.Task, request.LanguageCode) } },
            };
        }

        public override async Task<ListRoutesResponse> ListRoutes(ListRoutesRequest request, ServerCallContext context)
        {
            await Backend.EnterAsync(context);
            return new ListRoutesResponse { Routes = { new RouteInfo { Route = Backend.Route("asr", "en"), HeadKind = HeadKind.Ctc } } };
        }

        // Echo: one interim result per audio chunk (version = chunks so far), a final one at the end of the stream.
        public override async Task StreamingRecognize(
            IAsyncStreamReader<StreamingRecognizeRequest> requestStream, IServerStreamWriter<StreamingRecognizeResponse> responseStream, ServerCallContext context)
        {
            await Backend.EnterAsync(context);
            StreamingRecognitionConfig? config = null;
            var chunks = 0;
            await foreach (var message in requestStream.ReadAllAsync(context.CancellationToken))
            {
                if (config is null)
                {
                    config = message.StreamingConfig ?? throw new RpcException(new Status(StatusCode.InvalidArgument, "backend: config first"));
                    continue;
                }
                chunks++;
                await responseStream.WriteAsync(Result(config, chunks, isFinal: false), context.CancellationToken);
            }
            await responseStream.WriteAsync(Result(config!, chunks, isFinal: true), context.CancellationToken);
        }

        private StreamingRecognizeResponse Result(StreamingRecognitionConfig config, int chunks, bool isFinal)
        {
            var route = Backend.Route(config.Task, config.LanguageCode);
            route.Version = chunks;
            return new StreamingRecognizeResponse { IsFinal = isFinal, Results = { new RouteResult { Route = route } } };
        }
    }
}
