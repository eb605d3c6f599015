using S3Router.Api.V1;
using S3Router.InferenceService.Inference.Heads;

namespace S3Router.InferenceService.Inference;

/// <summary>What one route produced, and the exact version that produced it.</summary>
/// <param name="Version">The resolved version (task, language, version number, digest).</param>
/// <param name="Alternatives">CTC routes: the transcripts, best first; else null.</param>
/// <param name="Classes">Classifier routes: the top classes, best first; else null.</param>
internal sealed record RouteOutcome(
    MaskVersion Version,
    IReadOnlyList<RecognitionAlternative>? Alternatives,
    IReadOnlyList<ClassProbability>? Classes);
