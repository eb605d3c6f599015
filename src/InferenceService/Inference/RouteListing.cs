using S3Router.Api.V1;

namespace S3Router.InferenceService.Inference;

/// <summary>A callable route: its production version and the route's aliases.</summary>
internal sealed record RouteListing(MaskVersion Production, IReadOnlyDictionary<string, long> Aliases);
