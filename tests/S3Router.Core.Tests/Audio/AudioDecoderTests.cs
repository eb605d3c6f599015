using System.Buffers.Binary;
using S3Router.Core.Audio;

namespace S3Router.Core.Tests.Audio;

public sealed class AudioDecoderTests
{
    [Fact]
    public void Decode_RawLinear16At16k_ReturnsSamplesUnchanged()
    {
        var content = WavBuilder.Int16Data(0, 16384, -16384, -32768);

        var audio = AudioDecoder.Decode(content, AudioEncoding.Linear16, 16000);

        Assert.Equal([0f, 0.5f, -0.5f, -1f], audio.Samples);
        Assert.Equal(16000, audio.SampleRateHertz);
        Assert.Equal(16000, audio.SourceSampleRateHertz);
        Assert.Equal(1, audio.SourceChannelCount);
        Assert.Equal(TimeSpan.FromSeconds(4.0 / 16000), audio.Duration);
    }

    [Fact]
    public void Decode_RawLinear16Stereo_AveragesChannels()
    {
        var content = WavBuilder.Int16Data(16384, 0, -16384, -16384);

        var audio = AudioDecoder.Decode(content, AudioEncoding.Linear16, 16000, audioChannelCount: 2);

        Assert.Equal([0.25f, -0.5f], audio.Samples);
        Assert.Equal(2, audio.SourceChannelCount);
    }

    [Fact]
    public void Decode_Linear16At8k_ResamplesTo16kWithDoubleLength()
    {
        var content = new byte[8000 * 2];

        var audio = AudioDecoder.Decode(content, AudioEncoding.Linear16, 8000);

        Assert.Equal(16000, audio.Samples.Length);
        Assert.Equal(8000, audio.SourceSampleRateHertz);
        Assert.Equal(TimeSpan.FromSeconds(1), audio.Duration);
    }

    [Theory]
    [InlineData(AudioEncoding.EncodingUnspecified)]
    [InlineData(AudioEncoding.Linear16)]
    public void Decode_WavContent_ReadsHeaderWhateverTheEncoding(AudioEncoding encoding)
    {
        var file = WavWriter.Write(Signals.Sine(440, 44100, 44100), 44100, format: WavSampleFormat.IeeeFloat, bitsPerSample: 32);

        var audio = AudioDecoder.Decode(file, encoding, 0);

        Assert.Equal(44100, audio.SourceSampleRateHertz);
        Assert.Equal(16000, audio.Samples.Length);
    }

    [Fact]
    public void Decode_MulawAgainstSox_MatchesSoxDecodingExactly()
    {
        using var sox = new Sox();
        var codes = Enumerable.Range(0, 256).Select(i => (byte)i).ToArray();
        sox.Write("codes.ul", codes);
        sox.Run("-t", "raw", "-r", "16000", "-e", "mu-law", "-b", "8", "-c", "1", "codes.ul", "-t", "raw", "-e", "signed-integer", "-b", "16", "linear.raw");
        var expected = sox.Read("linear.raw");

        var audio = AudioDecoder.Decode(codes, AudioEncoding.Mulaw, 16000);

        for (var i = 0; i < 256; i++)
        {
            Assert.Equal(BinaryPrimitives.ReadInt16LittleEndian(expected.AsSpan(2 * i)), audio.Samples[i] * 32768f);
        }
    }

    [Fact]
    public void Decode_AlawAgainstSox_MatchesSoxDecodingExactly()
    {
        using var sox = new Sox();
        var codes = Enumerable.Range(0, 256).Select(i => (byte)i).ToArray();
        sox.Write("codes.al", codes);
        sox.Run("-t", "raw", "-r", "16000", "-e", "a-law", "-b", "8", "-c", "1", "codes.al", "-t", "raw", "-e", "signed-integer", "-b", "16", "linear.raw");
        var expected = sox.Read("linear.raw");

        var audio = AudioDecoder.Decode(codes, AudioEncoding.Alaw, 16000);

        for (var i = 0; i < 256; i++)
        {
            Assert.Equal(BinaryPrimitives.ReadInt16LittleEndian(expected.AsSpan(2 * i)), audio.Samples[i] * 32768f);
        }
    }

    [Fact]
    public void Decode_MulawOfSoxEncodedSpeechBand_StaysCloseToSource()
    {
        using var sox = new Sox();
        sox.Run("-n", "-r", "8000", "-e", "mu-law", "-b", "8", "-t", "raw", "tone.ul", "synth", "0.5", "sine", "700", "vol", "0.5");

        var audio = AudioDecoder.Decode(sox.Read("tone.ul"), AudioEncoding.Mulaw, 8000);

        // Mu-law keeps roughly 38 dB SNR on a half-scale tone; resampling to 16 kHz must not lose more.
        var ideal = Signals.Sine(700, 16000, audio.Samples.Length);
        Assert.True(Signals.SnrDb(audio.Samples, ideal, 800) > 30);
    }

    [Fact]
    public void G711_MulawTable_HasStandardEndpoints()
    {
        Assert.Equal(-32124, G711.MulawToLinear16[0x00]);
        Assert.Equal(0, G711.MulawToLinear16[0xFF]);
        Assert.Equal(32124, G711.MulawToLinear16[0x80]);
        Assert.Equal(0, G711.MulawToLinear16[0x7F]);
        Assert.Equal(-32256, G711.AlawToLinear16[0x2A]);
        Assert.Equal(32256, G711.AlawToLinear16[0xAA]);
        Assert.Equal(8, G711.AlawToLinear16[0xD5]);
    }

    public static TheoryData<string, byte[], AudioEncoding, int, int, string, string> Invalid => new()
    {
        { "empty", [], AudioEncoding.Linear16, 16000, 0, "audio content is empty", AudioFields.Content },
        { "odd bytes", new byte[1201], AudioEncoding.Linear16, 16000, 0,
            "LINEAR16 content is 1201 bytes, not a whole number of 2-byte frames (1 channel(s) of 16-bit samples)", AudioFields.Content },
        { "stereo mulaw partial frame", new byte[3], AudioEncoding.Mulaw, 8000, 2,
            "MULAW content is 3 bytes, not a whole number of 2-byte frames (2 channel(s) of 8-bit samples)", AudioFields.Content },
        { "no rate", new byte[2], AudioEncoding.Linear16, 0, 0,
            "sample_rate_hertz is required for raw LINEAR16 audio (the content has no WAV header)", AudioFields.SampleRateHertz },
        { "negative rate", new byte[2], AudioEncoding.Linear16, -1, 0,
            "sample_rate_hertz is -1; it must be positive, or 0 for WAV content", AudioFields.SampleRateHertz },
        { "rate too high", new byte[2], AudioEncoding.Alaw, 400000, 0,
            "ALAW sample rate is 400000 Hz; supported rates are 8000 to 192000 Hz", AudioFields.SampleRateHertz },
        { "negative channels", new byte[2], AudioEncoding.Linear16, 16000, -2,
            "audio_channel_count is -2; it must be positive, or 0 for the default", AudioFields.AudioChannelCount },
        { "unspecified raw", new byte[2], AudioEncoding.EncodingUnspecified, 16000, 0,
            "encoding is ENCODING_UNSPECIFIED but the content has no WAV (RIFF/WAVE) header: send a WAV file, or set encoding (LINEAR16, MULAW or ALAW) and sample_rate_hertz",
            AudioFields.Encoding },
        { "flac", "fLaC\0\0\0\""u8.ToArray(), AudioEncoding.Flac, 16000, 0,
            "unsupported encoding FLAC: send LINEAR16 (raw or WAV), MULAW or ALAW", AudioFields.Encoding },
        { "flac sniffed", "fLaC\0\0\0\""u8.ToArray(), AudioEncoding.EncodingUnspecified, 0, 0,
            "unsupported encoding FLAC: send LINEAR16 (raw or WAV), MULAW or ALAW", AudioFields.Encoding },
        { "ogg opus", "OggS\0\0"u8.ToArray(), AudioEncoding.OggOpus, 48000, 0,
            "unsupported encoding OGG_OPUS: send LINEAR16 (raw or WAV), MULAW or ALAW", AudioFields.Encoding },
        { "amr wb", new byte[2], AudioEncoding.AmrWb, 16000, 0,
            "unsupported encoding AMR_WB: send LINEAR16 (raw or WAV), MULAW or ALAW", AudioFields.Encoding },
        { "unknown", new byte[2], (AudioEncoding)42, 16000, 0, "unknown encoding 42", AudioFields.Encoding },
        { "wav rate mismatch", WavWriter.Write(new float[10], 44100), AudioEncoding.Linear16, 16000, 0,
            "sample_rate_hertz is 16000 but the WAV header says 44100; send 0 or the header's rate", AudioFields.SampleRateHertz },
        { "wav channel mismatch", WavWriter.Write(new float[10], 16000, channelCount: 2), AudioEncoding.Linear16, 16000, 1,
            "audio_channel_count is 1 but the WAV header says 2; send 0 or the header's count", AudioFields.AudioChannelCount },
    };

    [Theory]
    [MemberData(nameof(Invalid))]
    public void Decode_InvalidRequest_ThrowsOnTheRightField(
        string scenario, byte[] content, AudioEncoding encoding, int rate, int channels, string message, string field)
    {
        var error = Assert.Throws<AudioFormatException>(() => AudioDecoder.Decode(content, encoding, rate, audioChannelCount: channels));

        Assert.True(message == error.Message, $"{scenario}: got '{error.Message}'");
        Assert.Equal(field, Assert.Single(error.Violations).Field);
    }

    [Fact]
    public void Decode_SoxFlacFile_RefusedAsUnsupported()
    {
        using var sox = new Sox();
        sox.Run("-n", "-r", "16000", "-b", "16", "tone.flac", "synth", "0.1", "sine", "440");

        var error = Assert.Throws<AudioFormatException>(
            () => AudioDecoder.Decode(sox.Read("tone.flac"), AudioEncoding.EncodingUnspecified, 0));

        Assert.Equal("unsupported encoding FLAC: send LINEAR16 (raw or WAV), MULAW or ALAW", error.Message);
    }

    [Fact]
    public void Decode_RawLongerThanLimit_Throws()
    {
        var content = new byte[8000 * 2 * 61];

        var error = Assert.Throws<AudioFormatException>(() => AudioDecoder.Decode(content, AudioEncoding.Linear16, 8000));

        Assert.Equal("audio is 61 s long, longer than the limit of 60 s", error.Message);
    }

    [Fact]
    public void Decode_ContentOverDefaultByteLimit_Throws()
    {
        var content = new byte[10 * 1024 * 1024 + 2];

        var error = Assert.Throws<AudioFormatException>(() => AudioDecoder.Decode(content, AudioEncoding.Linear16, 192000));

        Assert.Equal("audio content is 10485762 bytes, more than the limit of 10485760 bytes", error.Message);
    }

    [Fact]
    public void Decode_ErrorIsInvalidInput_SoItMapsToInvalidArgument()
    {
        var error = Record.Exception(() => AudioDecoder.Decode([], AudioEncoding.Linear16, 16000));

        Assert.IsAssignableFrom<S3Router.Core.Errors.InvalidInputException>(error);
    }
}
