namespace S3Router.TrainingService.Training;

/// <summary>
/// Derives stable 32-bit seeds from the job seed and counters (SplitMix64). HashCode.Combine is randomized per
/// process, which would break resuming after a restart.
/// </summary>
internal static class DeterministicSeed
{
    public static int Derive(long seed, long a, long b = 0)
    {
        var x = unchecked((ulong)seed);
        x = Mix(x ^ Mix(unchecked((ulong)a) + 0x9E3779B97F4A7C15UL));
        x = Mix(x ^ Mix(unchecked((ulong)b) + 0xBF58476D1CE4E5B9UL));
        return unchecked((int)(x ^ (x >> 32)));
    }

    private static ulong Mix(ulong z)
    {
        z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL);
        z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EBUL);
        return z ^ (z >> 31);
    }
}
