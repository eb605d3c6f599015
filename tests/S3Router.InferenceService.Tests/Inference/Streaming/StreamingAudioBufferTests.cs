using Google.Protobuf;
using S3Router.Api.V1;
using S3Router.Core.Audio;
using S3Router.Core.Errors;
using S3Router.InferenceService.Inference;
using S3Router.Testing;
using AudioEncoding = S3Router.Api.V1.AudioEncoding;

namespace S3Router.InferenceService.Tests.Inference.Streaming;

public sealed class StreamingAudioBufferTests
{
    private static readonly AudioLimits Limits = new() { MaxBytes = 1 << 20 };

    [Fact]
    public void DecodeRange_HeaderlessLinear16InChunks_EqualsThatRangeOfTheWholeDecode()
    {
        // Arrange
        var bytes = Signals.Linear16Noise(8000, seed: 1);
        var config = new RecognitionConfig { Encoding = AudioEncoding.Linear16, SampleRateHertz = 16000 };
        using var buffer = Fill(config, bytes, chunk: 999);
        var whole = buffer.DecodeAll().Samples;

        // Act
        var range = buffer.DecodeRange(1000, 5000);

        // Assert
        Assert.Equal(8000, buffer.Frames);
        Assert.Equal(TimeSpan.FromMilliseconds(500), buffer.Duration);
        Assert.Equal(whole.AsSpan(1000, 4000).ToArray(), range);
    }

    [Fact]
    public void DecodeRange_WavStereo16k_EqualsThatRangeOfTheWholeDecode()
    {
        // Arrange: stereo float WAV with an odd chunk size, so the range must honour the block alignment.
        var interleaved = Signals.Noise(2 * 4000, seed: 2, amplitude: 0.5);
        var wav = WavWriter.Write(interleaved, 16000, channelCount: 2, WavSampleFormat.IeeeFloat, 32);
        using var buffer = Fill(new RecognitionConfig(), wav, chunk: 777);
        var whole = buffer.DecodeAll().Samples;

        // Act
        var range = buffer.DecodeRange(100, 3100);

        // Assert
        Assert.Equal(4000, buffer.Frames);
        Assert.Equal(16000, buffer.SourceRateHertz);
        Assert.Equal(whole.AsSpan(100, 3000).ToArray(), range);
    }

    [Fact]
    public void Frames_WavHeaderNotYetComplete_ZeroAndNoRange()
    {
        var wav = WavWriter.Write(Signals.Noise(1000, seed: 3, amplitude: 0.5), 16000);
        using var buffer = Fill(new RecognitionConfig(), wav[..20], chunk: 20);

        Assert.Equal(0, buffer.Frames);
        Assert.Null(buffer.DecodeRange(0, 10));
    }

    [Fact]
    public void Append_OverByteLimit_ThrowsInvalidInput()
    {
        using var buffer = new StreamingAudioBuffer(new RecognitionConfig(), new AudioLimits { MaxBytes = 1024 });
        buffer.Append(ByteString.CopyFrom(new byte[1000]));

        Assert.Throws<InvalidInputException>(() => buffer.Append(ByteString.CopyFrom(new byte[100])));
    }

    private static StreamingAudioBuffer Fill(RecognitionConfig config, byte[] bytes, int chunk)
    {
        var buffer = new StreamingAudioBuffer(config, Limits);
        for (var offset = 0; offset < bytes.Length; offset += chunk)
        {
            buffer.Append(ByteString.CopyFrom(bytes, offset, Math.Min(chunk, bytes.Length - offset)));
        }

        return buffer;
    }
}
