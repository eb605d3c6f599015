using System.Globalization;
using System.Text.RegularExpressions;
using S3Router.Core.Errors;
using S3Router.Core.Masks;

namespace S3Router.Core.Analysis;

/// <summary>
/// Pairwise similarity of the masks of several routes over one backbone (S3-Router, application 4: masks of related
/// languages overlap more). Each pair is compared on the tensors both mask, with Jaccard (kept sets) and Hamming
/// (agreeing bits) similarity, per tensor, per transformer layer and overall.
/// Reference: https://arxiv.org/abs/2211.01522
/// </summary>
public static partial class MaskSimilarity
{
    /// <summary>Name of the overall scope.</summary>
    public const string OverallScope = "overall";

    private static readonly string[] Prefixes = ["wav2vec2.", "hubert."];

    /// <summary>Compares every pair of <paramref name="bundles"/>.</summary>
    /// <param name="labels">One label per bundle, e.g. <c>asr/en@v3</c>; the matrices' labels.</param>
    /// <param name="bundles">The bundles, all over the same backbone.</param>
    /// <param name="cancellationToken">Checked once per compared tensor pair.</param>
    /// <exception cref="InvalidInputException">No bundle, or labels not matching the bundles.</exception>
    /// <exception cref="FailedPreconditionException">The bundles are over different backbones, or one tensor has different shapes.</exception>
    public static MaskSimilarityResult Compute(IReadOnlyList<string> labels, IReadOnlyList<MaskBundle> bundles, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(bundles);
        if (bundles.Count == 0 || labels.Count != bundles.Count)
        {
            throw new InvalidInputException($"need one label per bundle and at least one bundle; got {labels.Count} labels for {bundles.Count} bundles", "labels");
        }
        var backbones = bundles.Select(b => b.BackboneDigest.ToLowerInvariant()).Distinct().ToList();
        if (backbones.Count > 1)
        {
            throw new FailedPreconditionException(
                $"masks can only be compared over one backbone, but these routes use {backbones.Count}: " +
                string.Join(", ", labels.Select((l, i) => $"{l} on {bundles[i].BackboneDigest}")));
        }

        var n = bundles.Count;
        var byName = bundles.Select((b, i) => MasksByName(b, labels[i])).ToList();
        var names = byName.SelectMany(d => d.Keys).Distinct(StringComparer.Ordinal)
            .OrderBy(name => LayerOf(name) ?? int.MaxValue).ThenBy(name => name, StringComparer.Ordinal).ToList();

        // overlaps[tensor][i, j]; null where route i or j lacks the tensor.
        var overlaps = new Dictionary<string, MaskOverlap?[,]>(StringComparer.Ordinal);
        foreach (var name in names)
        {
            var grid = new MaskOverlap?[n, n];
            for (var i = 0; i < n; i++)
            {
                if (!byName[i].TryGetValue(name, out var a))
                {
                    continue;
                }
                grid[i, i] = MaskOverlap.Self(a);
                for (var j = i + 1; j < n; j++)
                {
                    if (byName[j].TryGetValue(name, out var b))
                    {
                        cancellationToken.ThrowIfCancellationRequested();
                        grid[i, j] = grid[j, i] = MaskOverlap.Of(a, b);
                    }
                }
            }
            overlaps[name] = grid;
        }

        var tensors = names.Select(name => Scope(name, LayerOf(name), labels, [overlaps[name]])).ToList();
        var layers = names.Where(name => LayerOf(name) is not null).GroupBy(name => LayerOf(name)!.Value).OrderBy(g => g.Key)
            .Select(g => Scope($"layer.{g.Key.ToString(CultureInfo.InvariantCulture)}", g.Key, labels, g.Select(name => overlaps[name]).ToList()))
            .ToList();
        var overall = Scope(OverallScope, null, labels, overlaps.Values.ToList());
        var skipped = names.Where(name => byName.Any(d => !d.ContainsKey(name)))
            .Select(name => new SkippedMaskTensor(name, Enumerable.Range(0, n).Where(i => byName[i].ContainsKey(name)).ToList()))
            .ToList();
        return new MaskSimilarityResult([.. labels], overall, layers, tensors, skipped);
    }

    /// <summary>The transformer layer index of a parameter name (<c>...encoder.layers.{i}.*</c>), or null.</summary>
    public static int? LayerOf(string parameterName)
    {
        ArgumentNullException.ThrowIfNull(parameterName);
        var match = LayerPattern().Match(parameterName);
        return match.Success && int.TryParse(match.Groups[1].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out var layer) ? layer : null;
    }

    private static MaskSimilarityScope Scope(string name, int? layer, IReadOnlyList<string> labels, IReadOnlyList<MaskOverlap?[,]> grids)
    {
        var n = labels.Count;
        var jaccard = new double[n * n];
        var hamming = new double[n * n];
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j < n; j++)
            {
                var sum = new MaskOverlap();
                foreach (var grid in grids)
                {
                    if (grid[i, j] is { } overlap)
                    {
                        sum += overlap;
                    }
                }
                jaccard[i * n + j] = sum.Jaccard;
                hamming[i * n + j] = sum.Hamming;
            }
        }

        return new MaskSimilarityScope(name, layer, new SimilarityMatrix(labels, jaccard), new SimilarityMatrix(labels, hamming));
    }

    private static Dictionary<string, MaskTensor> MasksByName(MaskBundle bundle, string label)
    {
        var result = new Dictionary<string, MaskTensor>(StringComparer.Ordinal);
        foreach (var mask in bundle.Masks)
        {
            if (!result.TryAdd(BareName(mask.Name), mask))
            {
                throw new InvalidInputException($"route {label} masks '{BareName(mask.Name)}' twice (with and without a model prefix)", label);
            }
        }

        return result;
    }

    private static string BareName(string name) =>
        Prefixes.FirstOrDefault(p => name.StartsWith(p, StringComparison.Ordinal)) is { } prefix ? name[prefix.Length..] : name;

    [GeneratedRegex(@"(?:^|\.)encoder\.layers\.(\d{1,9})\.")]
    private static partial Regex LayerPattern();
}
