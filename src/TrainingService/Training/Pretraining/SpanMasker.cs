namespace S3Router.TrainingService.Training.Pretraining;

/// <summary>
/// HuBERT / wav2vec2 time masking: in each utterance, round(start probability × valid frames) span starts (at least
/// one) are drawn without replacement and <see cref="SpanLength"/> frames from each start are masked (clipped at the
/// end of the valid frames). Overlaps merge, so with 8% starts (pretraining's <see cref="StartProbability"/>) and spans
/// of 10 about half the frames are masked; finetuning's SpecAugment (<c>time_mask_prob</c> p) uses p / 10.
/// </summary>
internal static class SpanMasker
{
    public const double StartProbability = 0.08;

    public const int SpanLength = 10;

    /// <summary>Row-major [batch, frames] mask (true = masked) for items with <paramref name="validFrames"/> valid frames each.</summary>
    public static bool[] Compute(IReadOnlyList<long> validFrames, int frames, Random random, double startProbability = StartProbability)
    {
        var mask = new bool[validFrames.Count * frames];
        for (var b = 0; b < validFrames.Count; b++)
        {
            var valid = (int)Math.Min(validFrames[b], frames);
            if (valid <= 0)
            {
                continue;
            }

            var starts = Math.Max(1, (int)Math.Round(startProbability * valid));
            var candidates = Enumerable.Range(0, valid).ToArray();
            for (var i = 0; i < starts; i++)
            {
                var j = i + random.Next(valid - i); // partial Fisher-Yates: starts distinct frames
                (candidates[i], candidates[j]) = (candidates[j], candidates[i]);
                var end = Math.Min(candidates[i] + SpanLength, valid);
                for (var t = candidates[i]; t < end; t++)
                {
                    mask[(b * frames) + t] = true;
                }
            }
        }

        return mask;
    }
}
