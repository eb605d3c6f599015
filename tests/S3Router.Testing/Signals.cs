namespace S3Router.Testing;

/// <summary>Seeded audio-like inputs.</summary>
public static class Signals
{
    /// <summary><paramref name="samples"/> uniform values in [-amplitude, amplitude], reproducible from <paramref name="seed"/>.</summary>
    public static float[] Noise(int samples, int seed, double amplitude = 1.0)
    {
        var random = new Random(seed);
        var audio = new float[samples];
        for (var i = 0; i < samples; i++)
        {
            audio[i] = (float)(((random.NextDouble() * 2) - 1) * amplitude);
        }

        return audio;
    }
}
