using System.Diagnostics;
using Grpc.Core;
using S3Router.Api.V1;
using S3Router.Testing.Load;
using S3Router.Testing.Processes;

namespace S3Router.Testing.Resilience;

/// <summary>A load of asr/en Recognize calls through a platform's gateway, running in the background until stopped.</summary>
internal sealed class GatewayLoad
{
    private readonly Stopwatch _clock;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task<LoadReport> _run;

    private GatewayLoad(Speech.SpeechClient speech, LoadProfile profile, int samples, CancellationToken cancellationToken)
    {
        // A few different utterances, so nothing downstream can serve a repeated answer from a cache.
        var requests = Enumerable.Range(0, 8).Select(seed => ServicePlatform.AsrRequest(samples, seed)).ToArray();
        _clock = Stopwatch.StartNew();
        _run = LoadGenerator.RunAsync(
            profile,
            (i, deadline, token) => speech.RecognizeAsync(requests[i % requests.Length], deadline: deadline, cancellationToken: token).ResponseAsync,
            _stop.Token,
            cancellationToken);
    }

    /// <summary>Time since the load started.</summary>
    public TimeSpan Elapsed => _clock.Elapsed;

    /// <summary>Starts offering <paramref name="profile"/> with <paramref name="samples"/> of 16 kHz audio per call.</summary>
    public static GatewayLoad Start(ServicePlatform platform, LoadProfile profile, int samples, CancellationToken cancellationToken) =>
        new(platform.Speech, profile with { Duration = profile.Duration == TimeSpan.Zero ? TimeSpan.FromHours(1) : profile.Duration }, samples, cancellationToken);

    /// <summary>Waits until <paramref name="at"/> from the start of the load.</summary>
    public Task UntilAsync(TimeSpan at, CancellationToken cancellationToken)
    {
        var wait = at - Elapsed;
        return wait > TimeSpan.Zero ? Task.Delay(wait, cancellationToken) : Task.CompletedTask;
    }

    /// <summary>Starts no more calls, waits for those in flight and returns every call's outcome.</summary>
    public async Task<LoadReport> StopAsync()
    {
        await _stop.CancelAsync();
        var report = await _run;
        _stop.Dispose();
        return report;
    }
}
