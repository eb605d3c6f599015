namespace S3Router.Core.Tests.Audio;

/// <summary>Test tones and the signal-to-noise measure used to compare resamplers.</summary>
internal static class Signals
{
    public static float[] Sine(double frequencyHertz, int sampleRateHertz, int length, double amplitude = 0.5)
    {
        var samples = new float[length];
        for (var n = 0; n < length; n++)
        {
            samples[n] = (float)(amplitude * Math.Sin(2 * Math.PI * frequencyHertz * n / sampleRateHertz));
        }
        return samples;
    }

    /// <summary>10·log10(Σ reference² / Σ (actual - reference)²) over [trim, length - trim).</summary>
    public static double SnrDb(ReadOnlySpan<float> actual, ReadOnlySpan<float> reference, int trim)
    {
        var length = Math.Min(actual.Length, reference.Length);
        double signal = 0, noise = 0;
        for (var i = trim; i < length - trim; i++)
        {
            signal += (double)reference[i] * reference[i];
            var error = (double)actual[i] - reference[i];
            noise += error * error;
        }
        return 10 * Math.Log10(signal / Math.Max(noise, 1e-300));
    }

    public static double RmsDb(ReadOnlySpan<float> samples, int trim)
    {
        double sum = 0;
        for (var i = trim; i < samples.Length - trim; i++)
        {
            sum += (double)samples[i] * samples[i];
        }
        return 10 * Math.Log10(Math.Max(sum / (samples.Length - 2 * trim), 1e-300));
    }
}
