namespace S3Router.TrainingService.Training.Data;

/// <summary>
/// fairseq-style dynamic batching: utterances sorted by length (longest first) are packed so that
/// batch size × longest length ≤ max_tokens (the padded batch). An utterance alone over the budget gets its own
/// batch. Batches are shuffled per epoch with a seeded permutation, so (seed, epoch, position) identifies a batch.
/// </summary>
internal static class DynamicBatcher
{
    public static IReadOnlyList<int[]> CreateBatches(IReadOnlyList<long> lengths, long maxTokens)
    {
        var order = Enumerable.Range(0, lengths.Count).OrderByDescending(i => lengths[i]).ThenBy(i => i).ToList();
        var batches = new List<int[]>();
        var current = new List<int>();
        long longest = 0;
        foreach (var index in order)
        {
            var length = lengths[index];
            var candidateLongest = Math.Max(longest, length);
            if (current.Count > 0 && (current.Count + 1) * candidateLongest > maxTokens)
            {
                batches.Add([.. current]);
                current.Clear();
                candidateLongest = length;
            }

            current.Add(index);
            longest = candidateLongest;
        }

        if (current.Count > 0)
        {
            batches.Add([.. current]);
        }

        return batches;
    }

    /// <summary>The order in which epoch <paramref name="epoch"/> visits <paramref name="batchCount"/> batches (Fisher-Yates).</summary>
    public static int[] EpochOrder(int batchCount, long seed, long epoch)
    {
        var order = Enumerable.Range(0, batchCount).ToArray();
        var random = new Random(DeterministicSeed.Derive(seed, epoch));
        for (var i = order.Length - 1; i > 0; i--)
        {
            var j = random.Next(i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }

        return order;
    }
}
