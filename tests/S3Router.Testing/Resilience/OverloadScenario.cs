using System.Globalization;
using S3Router.Testing.Load;
using S3Router.Testing.Processes;

namespace S3Router.Testing.Resilience;

/// <summary>
/// Overload: one inference process with a queue of <see cref="QueueCapacity"/> requests. Its capacity is measured
/// first (closed loop, as many calls in flight as the queue holds, 1 s of audio each); then a third of it is offered,
/// then 3 × capacity, then a third again. The resident memory of the inference and gateway processes is sampled every
/// 100 ms throughout.
/// </summary>
public static class OverloadScenario
{
    /// <summary>Requests the inference process lets wait.</summary>
    public const int QueueCapacity = 8;

    /// <summary>What one run saw.</summary>
    /// <param name="Load">The calls and phases (before: capacity / 3, during: 3 × capacity, after: capacity / 3).</param>
    /// <param name="Capacity">OK calls per second the platform completed in the closed-loop probe.</param>
    /// <param name="InferenceRssBefore">Largest resident set of the inference process while below capacity before, in bytes.</param>
    /// <param name="InferenceRssPeak">Largest resident set of the inference process from the overload on, in bytes.</param>
    /// <param name="GatewayRssPeak">Largest resident set of the gateway process, in bytes.</param>
    public sealed record Result(ScenarioResult Load, double Capacity, long InferenceRssBefore, long InferenceRssPeak, long GatewayRssPeak);

    public static async Task<Result> RunAsync(ResilienceScale scale, Action<string> log, CancellationToken cancellationToken)
    {
        await using var platform = await ServicePlatform.StartAsync(new PlatformOptions
        {
            Inference = new Dictionary<string, string>
            {
                ["Inference__QueueCapacity"] = QueueCapacity.ToString(CultureInfo.InvariantCulture),
                ["Inference__MaxBatchSize"] = "4",
            },
        }, cancellationToken);
        await platform.WarmUpAsync(cancellationToken);
        var requests = Enumerable.Range(0, 8).Select(seed => ServicePlatform.AsrRequest(16_000, seed)).ToArray();
        Task Call(long i, DateTime deadline, CancellationToken token) =>
            platform.Speech.RecognizeAsync(requests[i % requests.Length], deadline: deadline, cancellationToken: token).ResponseAsync;

        // Batches of QueueCapacity calls warm up too; then the probe measures the steady state.
        await LoadGenerator.RunAsync(LoadProfile.FixedConcurrency(QueueCapacity, TimeSpan.FromSeconds(2)), Call, cancellationToken);
        var probe = await LoadGenerator.RunAsync(LoadProfile.FixedConcurrency(QueueCapacity, scale.Before), Call, cancellationToken);
        var capacity = probe.OkPerSecond;
        log($"capacity probe: {probe}");
        if (capacity <= 0)
        {
            throw new InvalidOperationException($"The capacity probe completed no call: {probe}");
        }

        using var sampling = new CancellationTokenSource();
        var inferenceRss = new List<long>();
        var gatewayRss = new List<long>();
        var sampler = SampleAsync(platform, inferenceRss, gatewayRss, sampling.Token);

        var before = await LoadGenerator.RunAsync(LoadProfile.FixedRate(capacity / 3, scale.Before), Call, cancellationToken);
        var rssBefore = Max(inferenceRss);
        var during = await LoadGenerator.RunAsync(LoadProfile.FixedRate(capacity * 3, scale.During), Call, cancellationToken);
        var after = await LoadGenerator.RunAsync(LoadProfile.FixedRate(capacity / 3, scale.After), Call, cancellationToken);
        await sampling.CancelAsync();
        await sampler;

        var result = new ScenarioResult(
            "overload", string.Create(CultureInfo.InvariantCulture, $"{capacity / 3:0} → {capacity * 3:0} → {capacity / 3:0} rps, 1 s audio, 1 pod"),
            string.Create(CultureInfo.InvariantCulture, $"3 × capacity ({capacity:0} rps measured), queue {QueueCapacity}"),
            before.Then(during).Then(after), before.Duration, before.Duration + during.Duration);
        var outcome = new Result(result, capacity, rssBefore, Max(inferenceRss), Max(gatewayRss));
        result.Notes.Add(string.Create(CultureInfo.InvariantCulture,
            $"RSS: inference {Mib(rssBefore)} MiB before, peak {Mib(outcome.InferenceRssPeak)} MiB; gateway peak {Mib(outcome.GatewayRssPeak)} MiB"));
        return outcome;
    }

    private static async Task SampleAsync(ServicePlatform platform, List<long> inference, List<long> gateway, CancellationToken token)
    {
        while (!token.IsCancellationRequested)
        {
            lock (inference)
            {
                inference.Add(platform.Inference[0].ResidentBytes());
            }

            lock (gateway)
            {
                gateway.Add(platform.Gateway.ResidentBytes());
            }

            try
            {
                await Task.Delay(100, token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private static long Max(List<long> samples)
    {
        lock (samples)
        {
            return samples.Count == 0 ? 0 : samples.Max();
        }
    }

    private static string Mib(long bytes) => (bytes / 1048576.0).ToString("0", CultureInfo.InvariantCulture);
}
