using S3Router.Core.Audio;

namespace S3Router.Core.Tests.Audio;

public sealed class AudioResamplerTests(ITestOutputHelper output)
{
    private const int Target = 16000;
    private const int Trim = 1600; // 0.1 s at 16 kHz: the filter's edge transients

    [Theory]
    [InlineData(44100, 1000)]
    [InlineData(44100, 5000)]
    [InlineData(48000, 1000)]
    [InlineData(48000, 5000)]
    [InlineData(22050, 1000)]
    [InlineData(22050, 5000)]
    [InlineData(8000, 1000)]
    [InlineData(8000, 3000)]
    [InlineData(11025, 3000)]
    [InlineData(96000, 5000)]
    public void Resample_InBandToneAgainstSox_CloseToIdealAndToSox(int sourceRate, int toneHertz)
    {
        using var sox = new Sox();
        var tone = Signals.Sine(toneHertz, sourceRate, sourceRate);
        sox.Write("in.wav", WavWriter.Write(tone, sourceRate, format: WavSampleFormat.IeeeFloat, bitsPerSample: 32));
        sox.Run("in.wav", "-e", "floating-point", "-b", "32", "-r", Target.ToString(), "out.wav");
        var soxOut = WavReader.Read(sox.Read("out.wav")).Samples;

        var ours = AudioResampler.Resample(tone, sourceRate, Target);

        var ideal = Signals.Sine(toneHertz, Target, ours.Length);
        var oursVsIdeal = Signals.SnrDb(ours, ideal, Trim);
        var soxVsIdeal = Signals.SnrDb(soxOut, ideal, Trim);
        var oursVsSox = Signals.SnrDb(ours, soxOut, Trim);
        output.WriteLine($"{sourceRate} Hz -> {Target} Hz, {toneHertz} Hz tone: SNR ours vs ideal {oursVsIdeal:F1} dB, " +
            $"sox vs ideal {soxVsIdeal:F1} dB, ours vs sox {oursVsSox:F1} dB (lengths {ours.Length} / {soxOut.Length})");
        Assert.Equal(soxOut.Length, ours.Length);
        Assert.True(oursVsIdeal > 60, $"ours vs ideal {oursVsIdeal:F1} dB");
        Assert.True(oursVsSox > 60, $"ours vs sox {oursVsSox:F1} dB");
    }

    [Theory]
    [InlineData(44100, 9000)]
    [InlineData(48000, 8200)]
    [InlineData(48000, 12000)]
    [InlineData(22050, 10000)]
    [InlineData(192000, 30000)]
    public void Resample_ToneAboveNewNyquist_AttenuatedMoreThan50Db(int sourceRate, int toneHertz)
    {
        var tone = Signals.Sine(toneHertz, sourceRate, sourceRate);

        var ours = AudioResampler.Resample(tone, sourceRate, Target);

        var attenuation = Signals.RmsDb(tone, 0) - Signals.RmsDb(ours, Trim);
        output.WriteLine($"{sourceRate} Hz -> {Target} Hz, {toneHertz} Hz tone attenuated by {attenuation:F1} dB");
        Assert.True(attenuation > 50, $"attenuation {attenuation:F1} dB");
    }

    [Theory]
    [InlineData(44101, Target, 1000)]   // rates with gcd 1: the interpolated-kernel path
    [InlineData(47999, Target, 5000)]
    [InlineData(8001, Target, 3000)]
    [InlineData(Target, 8000, 1000)]    // any target: down to 8 kHz, up to 44.1 and 22.05 kHz
    [InlineData(Target, 44100, 3000)]
    [InlineData(Target, 22050, 5000)]
    public void Resample_OtherRatePairs_CloseToIdeal(int sourceRate, int targetRate, int toneHertz)
    {
        var tone = Signals.Sine(toneHertz, sourceRate, sourceRate);

        var ours = AudioResampler.Resample(tone, sourceRate, targetRate);

        var ideal = Signals.Sine(toneHertz, targetRate, ours.Length);
        var snr = Signals.SnrDb(ours, ideal, targetRate / 10);
        output.WriteLine($"{sourceRate} Hz -> {targetRate} Hz, {toneHertz} Hz tone: SNR ours vs ideal {snr:F1} dB");
        Assert.Equal(targetRate, ours.Length); // one second in, one second out
        Assert.True(snr > 60, $"SNR {snr:F1} dB");
    }

    [Theory]
    [InlineData(44100)]
    [InlineData(44101)]
    [InlineData(8000)]
    public void Resample_ConstantSignal_KeepsUnitGain(int sourceRate)
    {
        var constant = Enumerable.Repeat(0.25f, sourceRate / 10).ToArray();

        var ours = AudioResampler.Resample(constant, sourceRate, Target);

        for (var i = 200; i < ours.Length - 200; i++)
        {
            Assert.Equal(0.25f, ours[i], 1e-5f);
        }
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(10, 4)]
    [InlineData(11, 4)]
    [InlineData(0, 0)]
    public void Resample_ShortInputs_HaveCeilLength(int length, int expected)
    {
        var ours = AudioResampler.Resample(new float[length], 44100, Target);

        Assert.Equal(expected, ours.Length);
    }

    [Fact]
    public void Resample_SameRate_ReturnsCopy()
    {
        float[] input = [0.1f, 0.2f];

        var ours = AudioResampler.Resample(input, 16000, 16000);

        Assert.Equal(input, ours);
        Assert.NotSame(input, ours);
    }
}
