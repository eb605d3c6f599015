using System.Globalization;

namespace S3Router.TrainingService.Training.Scoring;

/// <summary>
/// Per-utterance results as a tab-separated file with a header line, in manifest order (docs/data.md, "Scoring a route
/// on another split"): <c>audio reference predicted probability</c> for classifiers, <c>audio reference greedy
/// greedy_cer</c> (plus <c>beam beam_cer</c> when the beam search ran) for CTC routes.
/// </summary>
public static class PredictionsFile
{
    /// <summary>Writes <paramref name="predictions"/> to <paramref name="path"/> through a temporary file, so a failed write leaves no half file.</summary>
    public static void Write(string path, bool isCtc, IReadOnlyList<UtterancePrediction> predictions)
    {
        ArgumentNullException.ThrowIfNull(predictions);
        var beam = isCtc && predictions.Any(p => p.BeamPredicted is not null);
        var partial = path + ".partial";
        using (var writer = new StreamWriter(partial))
        {
            writer.WriteLine(!isCtc ? "audio\treference\tpredicted\tprobability" : beam ? "audio\treference\tgreedy\tgreedy_cer\tbeam\tbeam_cer" : "audio\treference\tgreedy\tgreedy_cer");
            foreach (var p in predictions)
            {
                var line = !isCtc ? $"{p.Audio}\t{p.Reference}\t{p.Predicted}\t{Number(p.Probability)}"
                    : $"{p.Audio}\t{p.Reference}\t{p.Predicted}\t{Number(p.CharacterErrorRate)}";
                writer.WriteLine(beam ? $"{line}\t{p.BeamPredicted}\t{Number(p.BeamCharacterErrorRate)}" : line);
            }
        }

        File.Move(partial, path, overwrite: true);
    }

    private static string Number(double value) => value.ToString("0.0000", CultureInfo.InvariantCulture);
}
