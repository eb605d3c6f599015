using System.Collections.Concurrent;

namespace S3Router.Core.Audio;

/// <summary>
/// Converts mono audio between sample rates with a band-limited (Kaiser-windowed sinc, polyphase) filter:
/// flat to 86% of the lower rate's Nyquist frequency, at least 100 dB down from its Nyquist frequency on, linear
/// phase with no delay (output sample n is input time n / target rate). Filter tables are cached per rate pair.
/// </summary>
public static class AudioResampler
{
    private const int MaxCachedPairs = 32;
    // Bounds the cache at 32 MiB even if callers send many unusual rates.
    private const long MaxCachedTableBytes = 1024 * 1024;
    private static readonly ConcurrentDictionary<(int From, int To), PolyphaseResampler> s_cache = new();

    /// <summary>Returns <paramref name="input"/> resampled from <paramref name="fromRateHertz"/> to <paramref name="toRateHertz"/>.</summary>
    /// <param name="input">Mono samples at <paramref name="fromRateHertz"/>.</param>
    /// <param name="fromRateHertz">Input rate in Hz, positive.</param>
    /// <param name="toRateHertz">Output rate in Hz, positive.</param>
    /// <returns>ceil(input.Length · to / from) samples; a copy of the input when the rates are equal.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A rate is zero or negative (callers validate rates from requests first).</exception>
    public static float[] Resample(ReadOnlySpan<float> input, int fromRateHertz, int toRateHertz)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(fromRateHertz);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(toRateHertz);
        if (fromRateHertz == toRateHertz)
        {
            return input.ToArray();
        }
        var resampler = Get(fromRateHertz, toRateHertz);
        var output = new float[resampler.OutputLength(input.Length)];
        resampler.Process(input, output);
        return output;
    }

    private static PolyphaseResampler Get(int from, int to)
    {
        if (s_cache.TryGetValue((from, to), out var cached))
        {
            return cached;
        }
        var created = new PolyphaseResampler(from, to);
        if (s_cache.Count < MaxCachedPairs && created.TableBytes <= MaxCachedTableBytes)
        {
            return s_cache.GetOrAdd((from, to), created);
        }
        return created;
    }
}
