using System.Diagnostics;
using System.Globalization;
using Google.Protobuf;
using Grpc.Net.Client;
using S3Router.Api.V1;
using S3Router.Core.Backbones;
using S3Router.Core.Masks;
using S3Router.MaskRegistry.Extensions;
using S3Router.Testing;
using RegistryClient = S3Router.Api.V1.MaskRegistry.MaskRegistryClient;

namespace S3Router.Bench;

/// <summary>
/// The real MaskRegistry on loopback (Kestrel, h2c, Grpc.Net.Client), once on the embedded SQLite store and once on
/// PostgreSQL, both running at the same time in this process and measured interleaved (one round of each store, the
/// order alternating), so load from other processes hits both alike: ResolveMask latency and throughput with 1 and 64
/// clients, PublishMask throughput for ~1 MB and ~50 MB bundles streamed in 1 MiB chunks as the CLI sends them, and
/// the latency of an idempotent re-publish.
/// </summary>
internal static class RegistryBenchmark
{
    private const string RouteTask = "asr";
    private const string RouteLanguage = "en";
    private const string Alias = "production";
    private const int ChunkBytes = 1024 * 1024; // as `s3r masks publish`
    private const int ManyClients = 64;
    private static readonly string BackboneHex = new('b', 64);

    // ~1 MB: 8 masks of [1024, 1024] (128 KiB packed each); ~50 MB: 48 masks of [8192, 1024] (1 MiB each).
    private static readonly BundleShape Small = new("small", 8, 1024);
    private static readonly BundleShape Large = new("large", 48, 8192);

    public static async Task RunAsync(bool quick)
    {
        var wall = Stopwatch.StartNew();
        var root = Directory.CreateTempSubdirectory("s3r-bench-registry-");
        var rounds = quick
            ? new Rounds(ResolveSeconds: 1, ResolveWarmup: 1, ResolveRuns: 2, SmallWarmup: 1, SmallRuns: 3, LargeWarmup: 0, LargeRuns: 1, Republish: 5)
            : new Rounds(ResolveSeconds: 3, ResolveWarmup: 1, ResolveRuns: 5, SmallWarmup: 2, SmallRuns: 20, LargeWarmup: 1, LargeRuns: 6, Republish: 40);
        Console.WriteLine($"date: {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
        Console.WriteLine($"machine: {Environment.ProcessorCount} cores, load average {LoadAverage()}; data under {root.FullName}");
        var stores = new List<Store>();
        BenchPostgres? postgres = null;
        try
        {
            stores.Add(await Store.StartAsync("SQLite", Path.Combine(root.FullName, "sqlite"), []));
            postgres = await BenchPostgres.StartAsync(root.FullName);
            if (postgres is not null)
            {
                Console.WriteLine($"PostgreSQL: {await postgres.VersionAsync()} ({postgres.Origin})");
                stores.Add(await Store.StartAsync("PostgreSQL", Path.Combine(root.FullName, "postgres"),
                [
                    new("MaskRegistry:Provider", "Postgres"),
                    new("MaskRegistry:ConnectionString", await postgres.NewSchemaAsync()),
                ]));
            }

            var smallSize = Small.Bundle("probe").Length;
            var largeSize = Large.Bundle("probe").Length;
            Console.WriteLine($"bundles: {smallSize / 1e6:F2} MB ({Small.Count} masks [{Small.Rows}, 1024]), {largeSize / 1e6:F2} MB ({Large.Count} masks [{Large.Rows}, 1024]); chunks of {ChunkBytes} B");
            foreach (var store in stores)
            {
                await store.SeedAsync();
            }

            Console.WriteLine($"seeded: {RouteTask}/{RouteLanguage} with 10 versions of {smallSize / 1e6:F2} MB, alias {Alias} -> v5 ({wall.Elapsed.TotalSeconds:F0} s)");
            var resolveOne = await Interleaved(stores, rounds.ResolveWarmup, rounds.ResolveRuns, (s, _) => s.ResolveLoadAsync(1, rounds.ResolveSeconds));
            var resolveMany = await Interleaved(stores, rounds.ResolveWarmup, rounds.ResolveRuns, (s, _) => s.ResolveLoadAsync(ManyClients, rounds.ResolveSeconds));
            Console.WriteLine($"resolve done ({wall.Elapsed.TotalSeconds:F0} s)");
            var publishSmall = await Interleaved(stores, rounds.SmallWarmup, rounds.SmallRuns, (s, r) => s.PublishNewAsync(Small, r));
            var publishLarge = await Interleaved(stores, rounds.LargeWarmup, rounds.LargeRuns, (s, r) => s.PublishNewAsync(Large, r));
            Console.WriteLine($"publish done ({wall.Elapsed.TotalSeconds:F0} s)");
            var republish = await Interleaved(stores, 2, rounds.Republish, (s, _) => s.RepublishAsync());

            Console.WriteLine();
            Console.WriteLine($"| measure | {string.Join(" | ", stores.Select(s => s.Name))} |");
            Console.WriteLine($"|---|{string.Concat(stores.Select(_ => "---|"))}");
            Row("ResolveMask, 1 client: p50 / p99 latency (ms)", stores, s => Latency(resolveOne[s]));
            Row("ResolveMask, 1 client: calls/s", stores, s => $"{Median(resolveOne[s].Select(r => r.CallsPerSecond)):F0}");
            Row($"ResolveMask, {ManyClients} clients: p50 / p99 latency (ms)", stores, s => Latency(resolveMany[s]));
            Row($"ResolveMask, {ManyClients} clients: calls/s", stores, s => $"{Median(resolveMany[s].Select(r => r.CallsPerSecond)):F0}");
            Row($"PublishMask {smallSize / 1e6:F2} MB: MB/s (median s per publish)", stores, s => Throughput(publishSmall[s], smallSize));
            Row($"PublishMask {largeSize / 1e6:F1} MB: MB/s (median s per publish)", stores, s => Throughput(publishLarge[s], largeSize));
            Row($"Re-publish {smallSize / 1e6:F2} MB (idempotent): p50 / p99 latency (ms)", stores, s => Latency(republish[s]));
            Console.WriteLine();
            Console.WriteLine($"rounds (warm-up+timed): resolve {rounds.ResolveWarmup}+{rounds.ResolveRuns} x {rounds.ResolveSeconds} s, " +
                              $"publish ~1 MB {rounds.SmallWarmup}+{rounds.SmallRuns}, ~50 MB {rounds.LargeWarmup}+{rounds.LargeRuns}, re-publish 2+{rounds.Republish}");
            Console.WriteLine($"total {wall.Elapsed.TotalMinutes:F1} min; load average at the end {LoadAverage()}");
        }
        finally
        {
            foreach (var store in stores)
            {
                await store.DisposeAsync();
            }

            if (postgres is not null)
            {
                await postgres.DisposeAsync();
            }

            root.Delete(recursive: true);
        }
    }

    /// <summary>Runs warm-up then timed rounds, each round once per store (order alternating); returns the timed results per store.</summary>
    private static async Task<Dictionary<Store, List<Sample>>> Interleaved(List<Store> stores, int warmup, int runs, Func<Store, int, Task<Sample>> round)
    {
        var results = stores.ToDictionary(s => s, _ => new List<Sample>());
        for (var r = 0; r < warmup + runs; r++)
        {
            // Alternate which store goes first, so neither always runs right after the other's work.
            foreach (var store in r % 2 == 0 ? stores : Enumerable.Reverse(stores))
            {
                var sample = await round(store, r);
                if (r >= warmup)
                {
                    results[store].Add(sample);
                }
            }
        }

        return results;
    }

    private static void Row(string measure, List<Store> stores, Func<Store, string> cell) =>
        Console.WriteLine($"| {measure} | {string.Join(" | ", stores.Select(cell))} |");

    private static string Latency(List<Sample> samples)
    {
        var all = samples.SelectMany(s => s.LatenciesMs).Order().ToList();
        return $"{Percentile(all, 0.50):F2} / {Percentile(all, 0.99):F2}";
    }

    private static string Throughput(List<Sample> samples, long bytes)
    {
        var seconds = Median(samples.Select(s => s.LatenciesMs.Single() / 1000));
        return $"{bytes / 1e6 / seconds:F1} ({seconds:F3} s)";
    }

    private static double Percentile(List<double> sorted, double p) => sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
    }

    private static string LoadAverage() => string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3));

    private sealed record Rounds(
        int ResolveSeconds, int ResolveWarmup, int ResolveRuns, int SmallWarmup, int SmallRuns, int LargeWarmup, int LargeRuns, int Republish);

    /// <summary>One timed round: every call's latency, and calls per wall second over the round.</summary>
    private sealed record Sample(List<double> LatenciesMs, double CallsPerSecond);

    /// <summary>A bundle of <paramref name="Count"/> random masks of [<paramref name="Rows"/>, 1024] (the head is tiny).</summary>
    private sealed record BundleShape(string Prefix, int Count, int Rows)
    {
        public IEnumerable<(string Name, long[] Shape)> Tensors =>
            Enumerable.Range(0, Count).Select(i => ($"{Prefix}.{i:D2}.weight", new long[] { Rows, 1024 }));

        /// <summary>Distinct bytes per <paramref name="jobId"/> (it is in the metadata); the mask bits are seeded.</summary>
        public byte[] Bundle(string jobId)
        {
            var random = new Random(Count);
            var packed = new byte[Rows * 1024 / 8];
            return new MaskBundle
            {
                Task = RouteTask,
                Language = RouteLanguage,
                BackboneDigest = BackboneHex,
                HeadKind = MaskHeadKind.Ctc,
                Labels = ["<blank>", "|", "a"],
                Masks = [.. Tensors.Select(t =>
                {
                    random.NextBytes(packed);
                    return MaskTensor.FromPacked(t.Name, t.Shape, packed);
                })],
                Heads = [new HeadTensor("head.proj.bias", [3], new float[3])],
                Lineage = new S3Router.Core.Masks.MaskLineage { JobId = jobId, PruneRate = 0.5 },
            }.ToBytes();
        }
    }

    /// <summary>One registry on loopback with its clients (one channel, so one HTTP/2 connection, per client).</summary>
    private sealed class Store : IAsyncDisposable
    {
        private readonly LoopbackService _service;
        private readonly GrpcChannel[] _channels;
        private readonly RegistryClient[] _clients;
        private byte[] _republished = [];

        private Store(string name, LoopbackService service)
        {
            Name = name;
            _service = service;
            _channels = [.. Enumerable.Range(0, ManyClients).Select(_ => GrpcChannel.ForAddress(service.Address))];
            _clients = [.. _channels.Select(c => new RegistryClient(c))];
        }

        public string Name { get; }

        public static async Task<Store> StartAsync(string name, string dataDirectory, KeyValuePair<string, string?>[] settings) =>
            new(name, await LoopbackService.StartAsync(
                [new("MaskRegistry:DataDirectory", dataDirectory), .. settings],
                builder => builder.AddMaskRegistryServices(),
                app => app.MapMaskRegistry(),
                CancellationToken.None));

        /// <summary>The backbone, and 10 versions of the route with the alias on v5.</summary>
        public async Task SeedAsync()
        {
            await _clients[0].RegisterBackboneAsync(BackboneHex, "bench", Wav2Vec2Config.FromPreset("tiny"), [.. Small.Tensors, .. Large.Tensors], CancellationToken.None);
            for (var v = 1; v <= 10; v++)
            {
                await PublishAsync(Small.Bundle($"seed-{v}"), v == 5 ? Alias : "", expectCreated: true);
            }

            _republished = Small.Bundle("seed-1");
        }

        /// <summary><paramref name="clients"/> callers resolving the alias back to back for <paramref name="seconds"/>.</summary>
        public async Task<Sample> ResolveLoadAsync(int clients, int seconds)
        {
            var request = new ResolveMaskRequest { Task = RouteTask, LanguageCode = RouteLanguage, Ref = Alias };
            var duration = TimeSpan.FromSeconds(seconds);
            var start = Stopwatch.StartNew();
            var perClient = await Task.WhenAll(_clients.Take(clients).Select(async client =>
            {
                var latencies = new List<double>();
                while (start.Elapsed < duration)
                {
                    var t0 = Stopwatch.GetTimestamp();
                    var reply = await client.ResolveMaskAsync(request);
                    latencies.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
                    if (reply.Version.Version != 5)
                    {
                        throw new InvalidOperationException($"{Name}: {Alias} resolved to v{reply.Version.Version}, expected v5");
                    }
                }

                return latencies;
            }));
            var elapsed = start.Elapsed.TotalSeconds;
            var all = perClient.SelectMany(l => l).ToList();
            return new Sample(all, all.Count / elapsed);
        }

        /// <summary>Publishes a new version of <paramref name="shape"/> (bytes built before the clock starts).</summary>
        public async Task<Sample> PublishNewAsync(BundleShape shape, int round)
        {
            var bytes = shape.Bundle($"{Name}-{shape.Prefix}-{round}");
            var ms = await PublishAsync(bytes, "", expectCreated: true);
            return new Sample([ms], 1000 / ms);
        }

        /// <summary>Sends an already published bundle again: same digest, no new version.</summary>
        public async Task<Sample> RepublishAsync()
        {
            var ms = await PublishAsync(_republished, "", expectCreated: false);
            return new Sample([ms], 1000 / ms);
        }

        public async ValueTask DisposeAsync()
        {
            foreach (var channel in _channels)
            {
                channel.Dispose();
            }

            await _service.DisposeAsync();
        }

        /// <summary>As the CLI: metadata with size and expected digest, then 1 MiB chunks. Returns milliseconds.</summary>
        private async Task<double> PublishAsync(byte[] bytes, string alias, bool expectCreated)
        {
            var metadata = new PublishMaskMetadata
            {
                Task = RouteTask,
                LanguageCode = RouteLanguage,
                ExpectedDigest = "sha256:" + Sha256Digest.Of(bytes),
                SizeBytes = bytes.Length,
                SetAlias = alias,
            };
            var t0 = Stopwatch.GetTimestamp();
            using var call = _clients[0].PublishMask();
            await call.RequestStream.WriteAsync(new PublishMaskRequest { Metadata = metadata });
            for (var offset = 0; offset < bytes.Length; offset += ChunkBytes)
            {
                await call.RequestStream.WriteAsync(new PublishMaskRequest { Chunk = ByteString.CopyFrom(bytes, offset, Math.Min(ChunkBytes, bytes.Length - offset)) });
            }

            await call.RequestStream.CompleteAsync();
            var reply = await call;
            var ms = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
            if (reply.Created != expectCreated)
            {
                throw new InvalidOperationException($"{Name}: publish of {metadata.ExpectedDigest} returned created={reply.Created}, expected {expectCreated}");
            }

            return ms;
        }
    }
}
