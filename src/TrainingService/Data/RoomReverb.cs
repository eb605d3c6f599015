using System.Globalization;
using S3Router.Core.Audio;

namespace S3Router.TrainingService.Data;

/// <summary>
/// A simulated room: the utterance convolved with a synthetic impulse response, a direct path followed by an
/// exponentially decaying Gaussian tail (the statistical room model of Kaldi's and Ko et al.'s reverberation
/// augmentation, without measured responses, which cannot be downloaded here).
/// </summary>
/// <param name="Rt60Seconds">Reverberation time: the tail falls by 60 dB over this long (0.15..0.8 when drawn).</param>
/// <param name="DirectToReverberantDecibels">Energy of the direct path over that of the tail, in dB (−3..12 when drawn).</param>
internal sealed record RoomReverb(double Rt60Seconds, double DirectToReverberantDecibels) : Room
{
    private const int Rate = AudioDecoder.TargetSampleRateHertz;

    /// <summary>Shortest and longest drawn reverberation time: a small dry room to a reverberant hall.</summary>
    public const double ShortestRt60 = 0.15, LongestRt60 = 0.8;

    /// <summary>Least and most drawn direct-to-reverberant ratio: the talker far from or near the microphone.</summary>
    public const double LeastDirect = -3, MostDirect = 12;

    /// <summary>A room with the reverberation time log-uniform and the direct-to-reverberant ratio uniform in their ranges.</summary>
    public static RoomReverb Draw(Random random) => new(
        Math.Round(Math.Exp(Math.Log(ShortestRt60) + (random.NextDouble() * Math.Log(LongestRt60 / ShortestRt60))), 2),
        Math.Round(LeastDirect + (random.NextDouble() * (MostDirect - LeastDirect)), 1));

    /// <summary>
    /// The impulse response at 16 kHz, <see cref="Rt60Seconds"/> long: 1 at time 0, then the tail, scaled so its energy
    /// is the direct path's divided by the direct-to-reverberant ratio. The tail's noise comes from <paramref name="random"/>.
    /// </summary>
    public float[] ImpulseResponse(Random random)
    {
        var length = Math.Max(2, (int)Math.Round(Rt60Seconds * Rate));
        var response = new double[length];
        var energy = 0.0;
        for (var n = 1; n < length; n++)
        {
            // 60 dB of energy over RT60: amplitude e^(-3 ln 10 · t / RT60).
            response[n] = Augmentation.Gaussian(random) * Math.Exp(-3 * Math.Log(10) * n / (Rt60Seconds * Rate));
            energy += response[n] * response[n];
        }
        var tailScale = Math.Sqrt(Math.Pow(10, -DirectToReverberantDecibels / 10) / energy);
        var result = new float[length];
        result[0] = 1;
        for (var n = 1; n < length; n++)
        {
            result[n] = (float)(response[n] * tailScale);
        }
        return result;
    }

    /// <inheritdoc />
    public override string Key => string.Create(CultureInfo.InvariantCulture, $"room{Rt60Seconds}/{DirectToReverberantDecibels}");

    /// <summary>The samples convolved with <see cref="ImpulseResponse"/> (its noise from <paramref name="random"/>), at their length and level.</summary>
    public override float[] Apply(float[] samples, Random random) => Convolve(samples, ImpulseResponse(random), delay: 0);
}
