using System.Globalization;
using S3Router.Core.Audio;

namespace S3Router.TrainingService.Data;

/// <summary>
/// Light, in-process augmentation of one training utterance: speed (resampling, so pitch moves with it), a simulated
/// room, volume, white noise at a signal-to-noise ratio, and a telephone band (300–3400 Hz through an 8 kHz round trip).
/// All parameters are drawn when the corpus is planned, so they are part of the utterance's identity.
/// </summary>
/// <param name="Speed">Playback speed factor, 1 = unchanged (0.9..1.1 when drawn, 0.8..1.3 for a speed copy).</param>
/// <param name="GainDecibels">Volume change in dB (−10..0 when drawn).</param>
/// <param name="NoiseSnrDecibels">White-noise SNR in dB, or null for none (15..35 when drawn).</param>
/// <param name="Telephone">Whether to band-limit to the telephone band.</param>
/// <param name="Room">A room the utterance is heard in (synthetic or measured), or null for none (drawn only for a room copy).</param>
internal sealed record Augmentation(double Speed, double GainDecibels, double? NoiseSnrDecibels, bool Telephone, Room? Room = null)
{
    private const int Rate = AudioDecoder.TargetSampleRateHertz;

    /// <summary>Each effect is applied with probability one half.</summary>
    public static Augmentation Draw(Random random) => new(
        random.NextDouble() < 0.5 ? Math.Round(0.9 + (0.2 * random.NextDouble()), 2) : 1,
        random.NextDouble() < 0.5 ? Math.Round(-10 * random.NextDouble(), 1) : 0,
        random.NextDouble() < 0.5 ? Math.Round(15 + (20 * random.NextDouble()), 1) : null,
        random.NextDouble() < 0.5);

    /// <summary>Nothing changed.</summary>
    public static Augmentation None { get; } = new(1, 0, null, false);

    /// <summary>
    /// Slowest and fastest speed of a speed copy: pitch, formants and tempo move together by up to a major third
    /// down and a fourth up, about the spread between the synthesizers' voices (a child-like espeak-ng variant speaks
    /// 2-4 times higher than the default).
    /// </summary>
    public const double SlowestCopy = 0.8, FastestCopy = 1.3;

    /// <summary>
    /// <paramref name="count"/> speed copies' speeds, log-uniform in [<see cref="SlowestCopy"/>, <see cref="FastestCopy"/>]
    /// with two decimals, all different and never 1 (such a copy would be its original or another copy).
    /// </summary>
    public static IReadOnlyList<double> DrawCopySpeeds(int count, Random random)
    {
        var speeds = new List<double>(count);
        while (speeds.Count < count)
        {
            var speed = Math.Round(Math.Exp(Math.Log(SlowestCopy) + (random.NextDouble() * Math.Log(FastestCopy / SlowestCopy))), 2);
            if (speed != 1 && !speeds.Contains(speed))
            {
                speeds.Add(speed);
            }
        }
        return speeds;
    }

    /// <summary>True when nothing would change.</summary>
    public bool IsIdentity => Speed == 1 && GainDecibels == 0 && NoiseSnrDecibels is null && !Telephone && Room is null;

    /// <summary>A stable description for file identities (without a room it is what it was before rooms existed, so
    /// earlier corpora keep their file names).</summary>
    public string Key => string.Create(CultureInfo.InvariantCulture,
        $"speed{Speed}|gain{GainDecibels}|snr{NoiseSnrDecibels?.ToString(CultureInfo.InvariantCulture) ?? "-"}|tel{Telephone}")
        + (Room is { } room ? "|" + room.Key : "");

    /// <summary>Applies the effects to 16 kHz samples; the noise comes from <paramref name="random"/>.</summary>
    public float[] Apply(float[] samples, Random random)
    {
        var x = samples;
        if (Speed != 1)
        {
            // Played Speed times faster: read the samples as if recorded at Rate·Speed.
            x = AudioResampler.Resample(x, (int)Math.Round(Rate * Speed), Rate);
        }
        if (Room is { } room)
        {
            x = room.Apply(x, random);
        }
        if (Telephone)
        {
            x = AudioResampler.Resample(AudioResampler.Resample(x, Rate, 8_000), 8_000, Rate);
            HighPass(x, 300);
        }
        if (NoiseSnrDecibels is { } snr)
        {
            var power = 0.0;
            foreach (var s in x)
            {
                power += s * s;
            }
            power /= Math.Max(1, x.Length);
            var sigma = Math.Sqrt(power / Math.Pow(10, snr / 10));
            for (var i = 0; i < x.Length; i++)
            {
                x[i] += (float)(sigma * Gaussian(random));
            }
        }
        var gain = (float)Math.Pow(10, GainDecibels / 20);
        for (var i = 0; i < x.Length; i++)
        {
            x[i] = Math.Clamp(x[i] * gain, -1f, 1f);
        }
        return x;
    }

    private static void HighPass(float[] x, double cutoffHertz)
    {
        // First-order RC high-pass.
        var rc = 1 / (2 * Math.PI * cutoffHertz);
        var alpha = rc / (rc + (1.0 / Rate));
        double previousIn = 0, previousOut = 0;
        for (var i = 0; i < x.Length; i++)
        {
            var y = alpha * (previousOut + x[i] - previousIn);
            previousIn = x[i];
            previousOut = y;
            x[i] = (float)y;
        }
    }

    /// <summary>A standard normal draw (Box-Muller).</summary>
    internal static double Gaussian(Random random)
    {
        var u1 = 1 - random.NextDouble();
        var u2 = random.NextDouble();
        return Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }
}
