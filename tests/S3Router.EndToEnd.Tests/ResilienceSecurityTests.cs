using Grpc.Core;
using S3Router.Api.V1;
using S3Router.Testing;
using S3Router.Testing.Processes;

namespace S3Router.EndToEnd.Tests;

/// <summary>Auth, rate limits and message limits at the process level: registry and gateway processes with API keys.</summary>
[Collection(PlatformCollection.Name)]
public sealed class ResilienceSecurityTests(SecurePlatform secure) : IClassFixture<SecurePlatform>
{
    private ServicePlatform Platform => secure.Platform;

    [Theory]
    [InlineData(null, StatusCode.Unauthenticated)]
    [InlineData("unknown-key-0123456789", StatusCode.Unauthenticated)]
    [InlineData(SecurePlatform.ReaderKey, StatusCode.PermissionDenied)]
    public async Task PublishSetAliasYank_WithoutPublisherKey_Refused(string? key, StatusCode expected)
    {
        // Arrange
        var token = TestContext.Current.CancellationToken;
        var (channel, registry) = Platform.RegistryClient(key);
        using var _ = channel;
        var asr = Platform.Published["asr/en"];

        // Act
        var publish = await CodeOf(() => registry.PublishAsync(
            TestBundles.Ctc(Platform.Backbone.Config, Platform.Backbone.Hex, "en", seed: 3), "production", token));
        var alias = await CodeOf(() => registry.SetAliasAsync(
            new SetAliasRequest { Task = "asr", LanguageCode = "en", Alias = "canary", Version = asr.Version }, cancellationToken: token).ResponseAsync);
        var yank = await CodeOf(() => registry.YankMaskVersionAsync(
            new YankMaskVersionRequest { Task = "asr", LanguageCode = "en", Version = asr.Version, Reason = "test" }, cancellationToken: token).ResponseAsync);
        var served = await Platform.Speech.RecognizeAsync(ServicePlatform.AsrRequest(4000, seed: 1), cancellationToken: token);

        // Assert
        Assert.Equal(expected, publish);
        Assert.Equal(expected, alias);
        Assert.Equal(expected, yank);
        Assert.Equal(asr.Digest, served.Results[0].Route.Digest);
    }

    [Fact]
    public async Task SetAlias_PublisherKey_Allowed()
    {
        // Arrange
        var (channel, registry) = Platform.RegistryClient(SecurePlatform.PublisherKey);
        using var _ = channel;

        // Act
        var code = await CodeOf(() => registry.SetAliasAsync(
            new SetAliasRequest { Task = "speaker", LanguageCode = "und", Alias = "canary", Version = Platform.Published["speaker/und"].Version },
            cancellationToken: TestContext.Current.CancellationToken).ResponseAsync);

        // Assert
        Assert.Equal(StatusCode.OK, code);
    }

    [Fact]
    public async Task Recognize_OneKeyPastItsBurst_RateLimitedWhileTheOtherKeyIsNot()
    {
        // Arrange: no call in this class uses the limited key but this one.
        var token = TestContext.Current.CancellationToken;
        var request = ServicePlatform.AsrRequest(4000, seed: 2);
        var calls = SecurePlatform.LimitedBurst + 4;
        var speech = new Speech.SpeechClient(Platform.GatewayChannel); // sends no key of its own

        // Act: one call after another, alternating keys.
        var limited = new List<StatusCode>();
        var free = new List<StatusCode>();
        for (var i = 0; i < calls; i++)
        {
            limited.Add(await CodeOf(() => speech.RecognizeAsync(request, Key(SecurePlatform.LimitedKey), cancellationToken: token).ResponseAsync));
            free.Add(await CodeOf(() => speech.RecognizeAsync(request, Key(SecurePlatform.FreeKey), cancellationToken: token).ResponseAsync));
        }

        // Assert
        Assert.Equal(Enumerable.Repeat(StatusCode.OK, SecurePlatform.LimitedBurst), limited.Take(SecurePlatform.LimitedBurst));
        Assert.All(limited.Skip(SecurePlatform.LimitedBurst), c => Assert.Equal(StatusCode.ResourceExhausted, c));
        Assert.All(free, c => Assert.Equal(StatusCode.OK, c));
    }

    [Fact]
    public async Task Recognize_MessageAnnouncedAboveTheLimit_ResourceExhaustedBeforeTheBodyIsSent()
    {
        // Act: 1 GiB announced to the gateway (limit 512 KiB), 1 KiB sent.
        var code = await GrpcFrameProbe.SendAsync(
            Platform.Gateway.Address, "/s3router.v1.Speech/Recognize", 1u << 30, SecurePlatform.FreeKey, TestContext.Current.CancellationToken);

        // Assert
        Assert.Equal((int)StatusCode.ResourceExhausted, code);
    }

    [Fact]
    public async Task PublishMask_MessageAnnouncedAboveTheLimit_ResourceExhaustedBeforeTheBodyIsSent()
    {
        // Act: 1 GiB announced to the registry (limit 64 MiB by default), 1 KiB sent.
        var code = await GrpcFrameProbe.SendAsync(
            Platform.Registry.Address, "/s3router.v1.MaskRegistry/PublishMask", 1u << 30, SecurePlatform.AdminKey, TestContext.Current.CancellationToken);

        // Assert
        Assert.Equal((int)StatusCode.ResourceExhausted, code);
    }

    private static Metadata Key(string key) => new() { { "x-api-key", key } };

    private static async Task<StatusCode> CodeOf(Func<Task> call)
    {
        try
        {
            await call();
            return StatusCode.OK;
        }
        catch (RpcException e)
        {
            return e.StatusCode;
        }
    }
}
