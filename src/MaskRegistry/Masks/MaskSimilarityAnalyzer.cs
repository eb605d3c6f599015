using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using S3Router.Api.V1;
using S3Router.Core.Analysis;
using S3Router.Core.Errors;
using S3Router.Core.Masks;
using S3Router.Core.Routes;
using S3Router.MaskRegistry.Telemetry;

namespace S3Router.MaskRegistry.Masks;

/// <summary>
/// Pairwise mask similarity of registry routes: resolves every route, checks the memory budget, reads each bundle
/// from the blob store through the same digest-verified path as downloads, and compares them with the Core analysis.
/// </summary>
internal sealed class MaskSimilarityAnalyzer(MaskCatalog catalog, IOptions<MaskRegistryOptions> options, ILogger<MaskSimilarityAnalyzer> logger)
{
    /// <summary>Most routes in one request (the response grows with routes²).</summary>
    public const int MaxRoutes = 32;

    public async Task<(IReadOnlyList<MaskVersion> Versions, MaskSimilarityResult Result)> AnalyzeAsync(
        IReadOnlyList<RouteSelector> routes, string caller, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        Validate(routes);

        var versions = new List<MaskVersion>();
        foreach (var route in routes)
        {
            versions.Add(await catalog.ResolveAsync(route.Task, route.LanguageCode, route.MaskRef, cancellationToken));
        }
        var totalBytes = versions.Sum(v => v.SizeBytes);
        if (totalBytes > options.Value.MaxAnalysisBytes)
        {
            throw new ResourceExhaustedException(
                $"The {routes.Count} bundles hold {totalBytes:N0} bytes, more than the {options.Value.MaxAnalysisBytes:N0} one analysis may load (MaskRegistry:MaxAnalysisBytes); compare fewer routes at once.");
        }

        var bundles = new List<MaskBundle>();
        foreach (var version in versions)
        {
            bundles.Add(await ReadAsync(version, cancellationToken));
        }
        var labels = versions.Select(Label).ToList();
        var result = MaskSimilarity.Compute(labels, bundles, cancellationToken);
        Log.SimilarityAnalyzed(logger, routes.Count, totalBytes, caller, (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        return (versions, result);
    }

    /// <summary>How a route appears in matrices: <c>task/language@vN</c>.</summary>
    public static string Label(MaskVersion version) => $"{version.Task}/{version.LanguageCode}@v{version.Version}";

    private static void Validate(IReadOnlyList<RouteSelector> routes)
    {
        var violations = new List<FieldViolation>();
        if (routes.Count is < 2 or > MaxRoutes)
        {
            violations.Add(new("routes", $"needs 2 to {MaxRoutes} routes, got {routes.Count}"));
        }
        for (var i = 0; i < Math.Min(routes.Count, MaxRoutes); i++)
        {
            RouteNames.CheckTask(routes[i].Task, $"routes[{i}].task", violations);
            RouteNames.CheckLanguage(routes[i].LanguageCode, $"routes[{i}].language_code", violations);
            RouteNames.ParseMaskRef(routes[i].MaskRef, $"routes[{i}].mask_ref", violations);
        }
        InvalidInputException.ThrowIfAny(violations);
    }

    private async Task<MaskBundle> ReadAsync(MaskVersion version, CancellationToken cancellationToken)
    {
        await using var content = await catalog.OpenBlobAsync(version, cancellationToken);
        using var copy = new MemoryStream((int)Math.Min(version.SizeBytes, int.MaxValue));
        await content.CopyToAsync(copy, cancellationToken);
        try
        {
            return MaskBundle.Read(copy.GetBuffer().AsMemory(0, (int)copy.Length));
        }
        catch (InvalidInputException e)
        {
            // The caller's request is fine; the stored artifact is not something this analysis can read.
            throw new FailedPreconditionException($"{Label(version)} ({version.Digest}) is not a readable mask bundle: {e.Message}", e);
        }
    }
}
