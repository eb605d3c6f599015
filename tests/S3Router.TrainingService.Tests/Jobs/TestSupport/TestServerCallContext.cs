using Grpc.Core;

namespace S3Router.TrainingService.Tests.Jobs.TestSupport;

/// <summary>A minimal <see cref="ServerCallContext"/> for calling gRPC handlers directly.</summary>
internal sealed class TestServerCallContext(CancellationToken cancellationToken) : ServerCallContext
{
    private readonly Metadata _responseTrailers = [];

    public static TestServerCallContext Create() => new(TestContext.Current.CancellationToken);

    protected override string MethodCore => "/s3router.v1.Training/Test";

    protected override string HostCore => "localhost";

    protected override string PeerCore => "ipv4:127.0.0.1:1";

    protected override DateTime DeadlineCore => DateTime.MaxValue;

    protected override Metadata RequestHeadersCore => [];

    protected override CancellationToken CancellationTokenCore => cancellationToken;

    protected override Metadata ResponseTrailersCore => _responseTrailers;

    protected override Status StatusCore { get; set; }

    protected override WriteOptions? WriteOptionsCore { get; set; }

    protected override AuthContext AuthContextCore => new(null, []);

    protected override ContextPropagationToken CreatePropagationTokenCore(ContextPropagationOptions? options) => throw new NotSupportedException();

    protected override Task WriteResponseHeadersAsyncCore(Metadata responseHeaders) => Task.CompletedTask;
}
