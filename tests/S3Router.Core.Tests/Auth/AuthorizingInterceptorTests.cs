using Grpc.Core;
using NSubstitute;
using S3Router.Core.Auth;
using S3Router.Core.Errors;

namespace S3Router.Core.Tests.Auth;

public sealed class AuthorizingInterceptorTests
{
    private static readonly FakeServerCallContext Denied = new("/s3router.v1.Speech/Recognize", []);
    private static readonly FakeServerCallContext Allowed = new("/s3router.v1.Speech/Recognize", new Metadata { { "x-api-key", "ok" } });

    [Fact]
    public async Task Handlers_AllFourKinds_AuthorizeBeforeContinuation()
    {
        var interceptor = new KeyInterceptor();
        var reader = Substitute.For<IAsyncStreamReader<string>>();
        var writer = Substitute.For<IServerStreamWriter<string>>();

        Assert.Equal("u", await interceptor.UnaryServerHandler<string, string>("u", Allowed, (r, _) => Task.FromResult(r)));
        Assert.Equal("c", await interceptor.ClientStreamingServerHandler<string, string>(reader, Allowed, (_, _) => Task.FromResult("c")));
        await interceptor.ServerStreamingServerHandler<string, string>("s", writer, Allowed, (_, _, _) => Task.CompletedTask);
        await interceptor.DuplexStreamingServerHandler<string, string>(reader, writer, Allowed, (_, _, _) => Task.CompletedTask);

        Assert.Equal(4, interceptor.Calls);
    }

    [Fact]
    public async Task Handlers_Rejected_ContinuationNeverRuns()
    {
        var interceptor = new KeyInterceptor();
        var reader = Substitute.For<IAsyncStreamReader<string>>();
        var writer = Substitute.For<IServerStreamWriter<string>>();
        var ran = 0;

        await Assert.ThrowsAsync<UnauthenticatedException>(() => interceptor.UnaryServerHandler<string, string>("u", Denied, (r, _) => { ran++; return Task.FromResult(r); }));
        await Assert.ThrowsAsync<UnauthenticatedException>(() => interceptor.ClientStreamingServerHandler<string, string>(reader, Denied, (_, _) => { ran++; return Task.FromResult(""); }));
        await Assert.ThrowsAsync<UnauthenticatedException>(() => interceptor.ServerStreamingServerHandler<string, string>("s", writer, Denied, (_, _, _) => { ran++; return Task.CompletedTask; }));
        await Assert.ThrowsAsync<UnauthenticatedException>(() => interceptor.DuplexStreamingServerHandler<string, string>(reader, writer, Denied, (_, _, _) => { ran++; return Task.CompletedTask; }));

        Assert.Equal(0, ran);
        Assert.Equal(4, interceptor.Calls);
    }

    private sealed class KeyInterceptor : AuthorizingInterceptor
    {
        public int Calls { get; private set; }

        protected override void Authorize(ServerCallContext context)
        {
            Calls++;
            if (ApiKeys.Read(context.RequestHeaders) is null)
            {
                throw new UnauthenticatedException("no key");
            }
        }
    }
}
