using S3Router.Api.V1;

namespace S3Router.InferenceService.Inference;

/// <summary>Output options of one request, defaults applied (0 means 1 for counts; beam 0 or 1 means greedy).</summary>
internal sealed record DecodeSettings(int MaxAlternatives, int BeamWidth, int MaxClasses)
{
    public static DecodeSettings From(RecognitionConfig? config) => new(
        Math.Max(1, config?.MaxAlternatives ?? 0),
        Math.Max(1, config?.BeamWidth ?? 0),
        Math.Max(1, config?.MaxClasses ?? 0));
}
