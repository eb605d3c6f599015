namespace S3Router.Core.Ctc;

/// <summary>
/// One decoded label sequence (blanks removed, repeats collapsed). <see cref="LogProbability"/> is the natural log of
/// the path (greedy) or prefix (beam) probability; <see cref="Confidence"/> is in [0, 1] (see <see cref="CtcDecoder"/>).
/// </summary>
public sealed record CtcHypothesis(IReadOnlyList<CtcToken> Tokens, double LogProbability, float Confidence);
