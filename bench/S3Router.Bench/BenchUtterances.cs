using S3Router.TrainingService.Training.Data;
using S3Router.TrainingService.Training.Metrics;

namespace S3Router.Bench;

/// <summary>Test audio with reference text, read the way a training job's evaluation reads it.</summary>
internal static class BenchUtterances
{
    /// <summary>
    /// The first <paramref name="limit"/> utterances (0 = all) of a fairseq split with its <c>.ltr</c> labels, as
    /// 16 kHz samples and the reference text the job's CER uses (<c>|</c> = space, whitespace runs collapsed).
    /// A missing split or audio file throws NotFoundException, a malformed one InvalidInputException.
    /// </summary>
    public static List<(float[] Samples, string Text)> Load(string manifestDir, string split, int limit)
    {
        var entries = ManifestReader.Read(manifestDir, split, "ltr");
        return entries.Take(limit > 0 ? limit : entries.Count)
            .Select(e => (AudioLoader.Load(e.AudioPath), CtcText.TokensToText(CtcVocabulary.Tokenize(e.Label, isWordLabels: false))))
            .ToList();
    }
}
