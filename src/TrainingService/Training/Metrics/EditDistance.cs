namespace S3Router.TrainingService.Training.Metrics;

/// <summary>Levenshtein distance (unit cost substitution, insertion, deletion) between two sequences.</summary>
internal static class EditDistance
{
    public static int Compute<T>(IReadOnlyList<T> reference, IReadOnlyList<T> hypothesis)
        where T : IEquatable<T>
    {
        // One row of the DP table at a time: previous[j] = distance(reference[..i-1], hypothesis[..j]).
        var previous = new int[hypothesis.Count + 1];
        var current = new int[hypothesis.Count + 1];
        for (var j = 0; j <= hypothesis.Count; j++)
        {
            previous[j] = j;
        }

        for (var i = 1; i <= reference.Count; i++)
        {
            current[0] = i;
            for (var j = 1; j <= hypothesis.Count; j++)
            {
                var substitution = previous[j - 1] + (reference[i - 1].Equals(hypothesis[j - 1]) ? 0 : 1);
                current[j] = Math.Min(substitution, Math.Min(previous[j] + 1, current[j - 1] + 1));
            }

            (previous, current) = (current, previous);
        }

        return previous[hypothesis.Count];
    }
}
