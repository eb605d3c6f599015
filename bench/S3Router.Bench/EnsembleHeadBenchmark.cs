using System.Diagnostics;
using System.Globalization;
using S3Router.Api.V1;
using S3Router.Core.Masks;
using S3Router.InferenceService.Inference.Routes;
using S3Router.InferenceService.Onnx;

namespace S3Router.Bench;

/// <summary>
/// What a conv_max ensemble head (docs/formats.md, "Route heads") costs a served classification, in process and side by
/// side: per 2.5 s utterance (an intent command's length), the backbone's all-states pass (ONNX Runtime, one intra-op thread, as
/// a pod's per-request work) and the head's <c>Classify</c> for ensembles of 1, 3 and 5 members (256 channels, kernel
/// 5, 12 classes: the intent recipe of bench/README.md), rounds interleaved so load changes hit every variant alike.
/// </summary>
internal static class EnsembleHeadBenchmark
{
    private const double Seconds = 2.5;
    private static readonly int[] Sizes = [1, 3, 5];

    public static async Task RunAsync(int rounds)
    {
        var backboneDirectory = Path.Combine(Directory.GetCurrentDirectory(), "models", "tiny-ssl");
        var (config, raw) = await BackboneCheckpoint.LoadAsync(backboneDirectory);
        var weights = Wav2Vec2Weights.Normalize(raw);
        var backbone = new LoadedBackbone(config, weights, new string('0', 64));
        using var session = OnnxBackboneSession.Create(config, weights, null, new OnnxBuildOptions { HiddenStates = true }, new OnnxEngineOptions { IntraOpThreads = 1 });
        var random = new Random(1);
        var audio = Enumerable.Range(0, (int)(Seconds * 16_000)).Select(_ => (float)(0.1 * ((2 * random.NextDouble()) - 1))).ToArray();
        var routes = Sizes.ToDictionary(k => k, k => Route(backbone, k, random));
        var backboneTime = new List<double>();
        var headTime = Sizes.ToDictionary(k => k, _ => new List<double>());
        for (var round = -2; round < rounds; round++) // two warm-up rounds
        {
            var watch = Stopwatch.StartNew();
            var states = session.RunFrames([audio])[0].States!;
            var backboneMs = watch.Elapsed.TotalMilliseconds;
            foreach (var k in Sizes)
            {
                watch.Restart();
                routes[k].Classifier!.Classify(states, top: 1);
                if (round >= 0)
                {
                    headTime[k].Add(watch.Elapsed.TotalMilliseconds);
                }
            }

            if (round >= 0)
            {
                backboneTime.Add(backboneMs);
            }
        }

        var backboneMedian = Median(backboneTime);
        var single = backboneMedian + Median(headTime[1]);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"conv_max ensemble head cost, models/tiny-ssl, {Seconds:0.#} s utterance, {rounds} rounds, one thread; load {File.ReadAllText("/proc/loadavg").Trim()}"));
        Console.WriteLine("| members | backbone (all states) ms | head ms | total ms | total vs one head |");
        Console.WriteLine("|---|---|---|---|---|");
        foreach (var k in Sizes)
        {
            var head = Median(headTime[k]);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {k} | {backboneMedian:F2} | {head:F2} | {backboneMedian + head:F2} | {(backboneMedian + head) / single:F2}x |"));
        }
    }

    // A route whose head is k random conv_max members (one head under head., an ensemble under head.members.{k}.).
    private static RouteModel Route(LoadedBackbone backbone, int members, Random random)
    {
        const int channels = 256, kernel = 5, classes = 12;
        var (h, l) = (backbone.Config.HiddenSize, backbone.Config.NumHiddenLayers);
        var shapes = new Dictionary<string, long[]>
        {
            ["layer_logits"] = [l + 1],
            ["norm.weight"] = [h],
            ["norm.bias"] = [h],
            ["conv.weight"] = [channels, h, kernel],
            ["conv.bias"] = [channels],
            ["proj.weight"] = [classes, channels],
            ["proj.bias"] = [classes],
        };
        var prefixes = members == 1 ? ["head."] : Enumerable.Range(0, members).Select(HeadTensor.MemberPrefix).ToArray();
        var bundle = new MaskBundle
        {
            Task = "intent",
            Language = "en",
            BackboneDigest = backbone.Digest,
            HeadKind = MaskHeadKind.Classifier,
            Labels = [.. Enumerable.Range(0, classes).Select(c => $"intent_{c}")],
            Masks = [],
            Heads = [.. prefixes.SelectMany(prefix => shapes.Select(s => new HeadTensor(prefix + s.Key, s.Value,
                Enumerable.Range(0, (int)s.Value.Aggregate(1L, (a, b) => a * b)).Select(_ => (float)(0.1 * ((2 * random.NextDouble()) - 1))).ToArray())))],
        };
        var bytes = bundle.ToBytes();
        var version = new MaskVersion { Task = "intent", LanguageCode = "en", Version = members, Digest = "sha256:" + Sha256Digest.Of(bytes) };
        return RouteModel.Create(version, bytes, backbone);
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted[sorted.Count / 2];
    }
}
