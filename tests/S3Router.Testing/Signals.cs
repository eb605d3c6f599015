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

    /// <summary>Seeded noise of amplitude 0.3 as headerless little-endian 16-bit PCM (LINEAR16).</summary>
    public static byte[] Linear16Noise(int samples, int seed)
    {
        var audio = Noise(samples, seed, amplitude: 0.3);
        var bytes = new byte[samples * 2];
        for (var i = 0; i < samples; i++)
        {
            BitConverter.TryWriteBytes(bytes.AsSpan(i * 2), (short)Math.Clamp(audio[i] * 32767, short.MinValue, short.MaxValue));
        }

        return bytes;
    }
}
