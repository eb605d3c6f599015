using S3Router.Core.Audio;

namespace S3Router.Core.Tests.Audio;

public sealed class WavWriterTests
{
    [Theory]
    [InlineData(16, "signed-integer")]
    [InlineData(24, "signed-integer")]
    [InlineData(32, "floating-point")]
    public void Write_StereoFile_ReadBySoxAsTheSameSamples(int bits, string soxEncoding)
    {
        using var sox = new Sox();
        var interleaved = Signals.Sine(300, 16000, 800, amplitude: 0.7);
        var format = soxEncoding == "floating-point" ? WavSampleFormat.IeeeFloat : WavSampleFormat.Pcm;
        sox.Write("ours.wav", WavWriter.Write(interleaved, 16000, channelCount: 2, format, bits));

        sox.Run("ours.wav", "-t", "f32", "back.raw");
        var back = WavReaderTests.MemoryMarshalFloats(sox.Read("back.raw"));

        Assert.Equal(interleaved.Length, back.Length);
        for (var i = 0; i < back.Length; i++)
        {
            Assert.True(Math.Abs(back[i] - interleaved[i]) <= 1.0 / 32768, $"sample {i}: {back[i]} vs {interleaved[i]}");
        }
    }

    [Fact]
    public void Write_OutOfRangeSamples_ClampToFullScale()
    {
        var file = WavWriter.Write([2f, -2f, float.NaN], 8000);

        var wav = WavReader.Read(file);

        Assert.Equal([32767f / 32768, -1f, 0f], wav.Samples);
    }

    [Theory]
    [InlineData(WavSampleFormat.Pcm, 12)]
    [InlineData(WavSampleFormat.IeeeFloat, 16)]
    [InlineData(WavSampleFormat.Mulaw, 8)]
    public void Write_UnsupportedFormat_ThrowsArgumentException(WavSampleFormat format, int bits)
    {
        Assert.Throws<ArgumentException>(() => WavWriter.Write([0f], 16000, 1, format, bits));
    }

    [Fact]
    public void Write_PartialFrame_ThrowsArgumentException()
    {
        Assert.Throws<ArgumentException>(() => WavWriter.Write([0f, 0f, 0f], 16000, channelCount: 2));
    }
}
