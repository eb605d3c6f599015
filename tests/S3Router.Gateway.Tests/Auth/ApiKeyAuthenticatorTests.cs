using System.Security.Cryptography;
using System.Text;
using Google.Rpc;
using Grpc.Core;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using S3Router.Core.Errors;
using S3Router.Gateway.Auth;

namespace S3Router.Gateway.Tests.Auth;

public sealed class ApiKeyAuthenticatorTests
{
    private static ApiKeyAuthenticator Create(GatewayAuthOptions options, TimeProvider? time = null) =>
        new(Options.Create(options), time ?? new FakeTimeProvider());

    private static GatewayAuthOptions TwoKeys() => new()
    {
        Keys =
        [
            new GatewayApiKey { Name = "app", Key = "user-secret", Role = GatewayRole.User },
            new GatewayApiKey { Name = "dashboard", KeySha256 = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes("reader-secret"))), Role = GatewayRole.Reader },
        ],
    };

    private static Metadata Bearer(string key) => new() { { "authorization", $"Bearer {key}" } };

    [Fact]
    public void Authorize_NoKeysConfigured_LetsAnonymousCallersRecognize()
    {
        var auth = Create(new GatewayAuthOptions());

        var caller = auth.Authorize("Recognize", []);

        Assert.Equal(CallerIdentity.AnonymousName, caller.Name);
    }

    [Fact]
    public void Authorize_KeysConfiguredAndNoKey_ThrowsUnauthenticated()
    {
        var auth = Create(TwoKeys());

        var ex = Assert.Throws<UnauthenticatedException>(() => auth.Authorize("Recognize", []));

        Assert.Contains("x-api-key", ex.Message);
    }

    [Fact]
    public void Authorize_KeysConfiguredButNotRequired_LetsAnonymousThroughAndStillChecksSentKeys()
    {
        var options = TwoKeys();
        options.RequireApiKey = false;
        var auth = Create(options);

        var anonymous = auth.Authorize("Recognize", []);

        Assert.Equal(CallerIdentity.AnonymousName, anonymous.Name);
        Assert.Throws<UnauthenticatedException>(() => auth.Authorize("Recognize", Bearer("wrong")));
    }

    [Fact]
    public void Authorize_BearerOrXApiKeyOrHashedKey_IdentifiesTheCaller()
    {
        var auth = Create(TwoKeys());

        var bearer = auth.Authorize("Recognize", Bearer("user-secret"));
        var header = auth.Authorize("Recognize", new Metadata { { "x-api-key", "user-secret" } });
        var hashed = auth.Authorize("ListRoutes", Bearer("reader-secret"));

        Assert.Equal("app", bearer.Name);
        Assert.Equal("app", header.Name);
        Assert.Equal("dashboard", hashed.Name);
    }

    [Theory]
    [InlineData("Recognize")]
    [InlineData("StreamingRecognize")]
    [InlineData("SomeFutureAdminMethod")]
    public void Authorize_ReaderCallsMoreThanListRoutes_ThrowsPermissionDenied(string method)
    {
        var auth = Create(TwoKeys());

        var ex = Assert.Throws<PermissionDeniedException>(() => auth.Authorize(method, Bearer("reader-secret")));

        Assert.Contains("dashboard", ex.Message);
    }

    [Fact]
    public void Authorize_UnknownKey_ThrowsUnauthenticated()
    {
        var auth = Create(TwoKeys());

        Assert.Throws<UnauthenticatedException>(() => auth.Authorize("ListRoutes", Bearer("guess")));
    }

    [Fact]
    public void Authorize_RateExceeded_ThrowsResourceExhaustedWithRetryInfo()
    {
        // Arrange
        var time = new FakeTimeProvider();
        var auth = Create(new GatewayAuthOptions { Keys = [new GatewayApiKey { Name = "app", Key = "k", PermitsPerSecond = 4, Burst = 2 }] }, time);
        auth.Authorize("Recognize", Bearer("k"));
        auth.Authorize("Recognize", Bearer("k"));

        // Act
        var ex = Assert.Throws<RpcException>(() => auth.Authorize("Recognize", Bearer("k")));
        time.Advance(TimeSpan.FromMilliseconds(250));
        var afterWait = auth.Authorize("Recognize", Bearer("k"));

        // Assert
        Assert.Equal(StatusCode.ResourceExhausted, ex.StatusCode);
        var retry = ex.GetRpcStatus()?.GetDetail<RetryInfo>();
        Assert.NotNull(retry);
        Assert.Equal(TimeSpan.FromMilliseconds(250), retry.RetryDelay.ToTimeSpan());
        Assert.Equal("app", afterWait.Name);
    }

    [Fact]
    public void Authorize_OneKeyLimited_OtherKeysKeepTheirOwnBucket()
    {
        var options = TwoKeys();
        options.Keys[0].PermitsPerSecond = 1;
        options.Keys[0].Burst = 1;
        var auth = Create(options);
        auth.Authorize("Recognize", Bearer("user-secret"));

        Assert.Throws<RpcException>(() => auth.Authorize("Recognize", Bearer("user-secret")));
        Assert.Equal("dashboard", auth.Authorize("ListRoutes", Bearer("reader-secret")).Name);
    }

    [Fact]
    public void IsValid_KeyWithBothSecretAndHash_IsRejected()
    {
        var options = new GatewayAuthOptions { Keys = [new GatewayApiKey { Name = "x", Key = "a", KeySha256 = new string('0', 64) }] };

        Assert.False(options.IsValid());
        Assert.True(TwoKeys().IsValid());
    }
}
