using System.Buffers.Binary;
using S3Router.Core.Audio;

namespace S3Router.Core.Tests.Audio;

public sealed class WavReaderTests
{
    private static readonly float[] s_ramp = [0f, 0.25f, -0.25f, 0.5f, -0.5f, 0.99f, -1f, 0.123456f];

    [Theory]
    [InlineData(WavSampleFormat.Pcm, 8, 1.0 / 128)]
    [InlineData(WavSampleFormat.Pcm, 16, 1.0 / 32768)]
    [InlineData(WavSampleFormat.Pcm, 24, 1.0 / 8388608)]
    [InlineData(WavSampleFormat.Pcm, 32, 1e-7)]
    [InlineData(WavSampleFormat.IeeeFloat, 32, 0)]
    [InlineData(WavSampleFormat.IeeeFloat, 64, 0)]
    public void Read_WrittenFormat_RoundTripsWithinQuantisation(WavSampleFormat format, int bits, double tolerance)
    {
        var file = WavWriter.Write(s_ramp, 22050, 1, format, bits);

        var wav = WavReader.Read(file);

        Assert.Equal(22050, wav.SampleRateHertz);
        Assert.Equal(1, wav.ChannelCount);
        Assert.Equal(format, wav.Format);
        Assert.Equal(bits, wav.BitsPerSample);
        Assert.Equal(s_ramp.Length, wav.Samples.Length);
        for (var i = 0; i < s_ramp.Length; i++)
        {
            Assert.True(Math.Abs(wav.Samples[i] - s_ramp[i]) <= tolerance / 2 + 1e-9,
                $"sample {i}: {wav.Samples[i]} vs {s_ramp[i]}");
        }
    }

    [Fact]
    public void Read_Int16Extremes_MapToMinusOneAndJustBelowOne()
    {
        var file = WavBuilder.Riff(WavBuilder.Fmt(1, 1, 16000, 16), WavBuilder.Chunk("data", WavBuilder.Int16Data(short.MinValue, short.MaxValue, 0)));

        var wav = WavReader.Read(file);

        Assert.Equal([-1f, 32767f / 32768, 0f], wav.Samples);
    }

    [Fact]
    public void Read_Stereo_AveragesChannelsToMono()
    {
        float[] interleaved = [0.5f, -0.5f, 0.25f, 0.75f, -1f, -0.5f];
        var file = WavWriter.Write(interleaved, 16000, channelCount: 2, WavSampleFormat.IeeeFloat, 32);

        var wav = WavReader.Read(file);

        Assert.Equal(2, wav.ChannelCount);
        Assert.Equal([0f, 0.5f, -0.75f], wav.Samples);
    }

    [Fact]
    public void Read_SixChannels_AveragesAllChannels()
    {
        var interleaved = new float[6 * 3];
        for (var i = 0; i < interleaved.Length; i++)
        {
            interleaved[i] = (i % 6) / 8f;
        }
        var file = WavWriter.Write(interleaved, 48000, channelCount: 6);

        var wav = WavReader.Read(file);

        Assert.All(wav.Samples, s => Assert.Equal((0 + 1 + 2 + 3 + 4 + 5) / 8f / 6, s, 1e-6f));
    }

    [Fact]
    public void Read_ExtensibleInt24In32Container_ScalesByContainer()
    {
        // 24 valid bits left-justified in 32-bit containers: 0x40000000 is +0.5.
        var data = new byte[8];
        BinaryPrimitives.WriteInt32LittleEndian(data, 0x40000000);
        BinaryPrimitives.WriteInt32LittleEndian(data.AsSpan(4), unchecked((int)0xC0000000));
        var file = WavBuilder.Riff(WavBuilder.FmtExtensible(1, 1, 44100, 32, 24), WavBuilder.Chunk("data", data));

        var wav = WavReader.Read(file);

        Assert.Equal([0.5f, -0.5f], wav.Samples);
        Assert.Equal(WavSampleFormat.Pcm, wav.Format);
    }

    [Fact]
    public void Read_ExtensibleFloatStereo_DecodesSubFormat()
    {
        var file = WavBuilder.Riff(
            WavBuilder.FmtExtensible(3, 2, 48000, 32, 32),
            WavBuilder.Chunk("data", WavBuilder.Float32Data(0.5f, 0.25f, -0.5f, -0.25f)));

        var wav = WavReader.Read(file);

        Assert.Equal(WavSampleFormat.IeeeFloat, wav.Format);
        Assert.Equal([0.375f, -0.375f], wav.Samples);
    }

    [Fact]
    public void Read_UnknownChunksWithOddPadding_SkipsThem()
    {
        var file = WavBuilder.Riff(
            WavBuilder.Chunk("junk", [1, 2, 3]),
            WavBuilder.Fmt(1, 1, 16000, 16),
            WavBuilder.Chunk("LIST", "INFOISFT\u0005\0\0\0sox!\0"u8.ToArray()),
            WavBuilder.Chunk("fact", [9, 0, 0, 0]),
            WavBuilder.Chunk("data", WavBuilder.Int16Data(16384, -16384)),
            WavBuilder.Chunk("LIST", [1]));

        var wav = WavReader.Read(file);

        Assert.Equal([0.5f, -0.5f], wav.Samples);
    }

    [Fact]
    public void Read_StreamingDataSize_RunsToEndOfContent()
    {
        var file = WavBuilder.Riff(WavBuilder.Fmt(1, 1, 16000, 16),
            WavBuilder.Chunk("data", WavBuilder.Int16Data(8192, 8192, 8192), declaredSize: uint.MaxValue));

        var wav = WavReader.Read(file);

        Assert.Equal(3, wav.Samples.Length);
    }

    [Fact]
    public void Read_TrailingPartialFrame_IsIgnored()
    {
        var file = WavBuilder.Riff(WavBuilder.Fmt(1, 1, 16000, 16), WavBuilder.Chunk("data", [0, 64, 0, 64, 7]));

        var wav = WavReader.Read(file);

        Assert.Equal([0.5f, 0.5f], wav.Samples);
    }

    [Theory]
    [InlineData((ushort)7)]
    [InlineData((ushort)6)]
    public void Read_G711Wav_DecodesWithStandardTable(ushort tag)
    {
        byte[] codes = [0x00, 0x7F, 0x80, 0xFF, 0x55, 0xD5];
        var file = WavBuilder.Riff(WavBuilder.Fmt(tag, 1, 8000, 8), WavBuilder.Chunk("data", codes));

        var wav = WavReader.Read(file);

        var table = (tag == 7 ? G711.MulawToLinear16 : G711.AlawToLinear16).ToArray();
        Assert.Equal(codes.Select(c => table[c] / 32768f), wav.Samples);
    }

    public static TheoryData<string, byte[], string> Corrupt => new()
    {
        { "too short", "RIFF\0\0"u8.ToArray(), "WAV header is truncated: the content is 6 bytes, a RIFF/WAVE header needs 12" },
        { "not riff", "OggS\0\0\0\0WAVEfmt "u8.ToArray(), "content is not a WAV file: it starts with 'OggS', not 'RIFF'" },
        { "rifx", "RIFX\0\0\0\0WAVE"u8.ToArray(), "big-endian RIFX WAV is not supported: send little-endian RIFF WAV" },
        { "avi", "RIFF\0\0\0\0AVI "u8.ToArray(), "RIFF content is not WAVE: its form type is 'AVI '" },
        { "no fmt", WavBuilder.Riff(), "WAV has no fmt chunk" },
        { "no data", WavBuilder.Riff(WavBuilder.Fmt(1, 1, 16000, 16)), "WAV has no data chunk" },
        { "data first", WavBuilder.Riff(WavBuilder.Chunk("data", [0, 0]), WavBuilder.Fmt(1, 1, 16000, 16)), "WAV data chunk comes before the fmt chunk" },
        { "data overclaims", WavBuilder.Riff(WavBuilder.Fmt(1, 1, 44100, 16), WavBuilder.Chunk("data", new byte[1200], declaredSize: 88200)),
            "WAV data chunk claims 88200 bytes but only 1200 remain" },
        { "chunk overclaims", WavBuilder.Riff(WavBuilder.Chunk("LIST", [1, 2], declaredSize: 100)),
            "WAV chunk 'LIST' at byte 12 claims 100 bytes but only 2 remain" },
        { "truncated chunk header", [.. WavBuilder.Riff(WavBuilder.Fmt(1, 1, 16000, 16)), 0x64, 0x61, 0x74],
            "WAV chunk header at byte 36 is truncated: 3 bytes remain, 8 needed" },
        { "short fmt", WavBuilder.Riff(WavBuilder.Chunk("fmt ", new byte[14]), WavBuilder.Chunk("data", [0, 0])), "WAV fmt chunk is 14 bytes; at least 16 are needed" },
        { "zero channels", WavBuilder.Riff(WavBuilder.Fmt(1, 0, 16000, 16, blockAlign: 2), WavBuilder.Chunk("data", [0, 0])), "WAV fmt chunk declares 0 channels" },
        { "zero rate", WavBuilder.Riff(WavBuilder.Fmt(1, 1, 0, 16), WavBuilder.Chunk("data", [0, 0])), "WAV sample rate is 0 Hz" },
        { "rate too low", WavBuilder.Riff(WavBuilder.Fmt(1, 1, 4000, 16), WavBuilder.Chunk("data", [0, 0])), "WAV sample rate is 4000 Hz; supported rates are 8000 to 192000 Hz" },
        { "pcm 40 bits", WavBuilder.Riff(WavBuilder.Fmt(1, 1, 16000, 40), WavBuilder.Chunk("data", new byte[5])), "unsupported PCM bit depth 40: supported are 8, 16, 24 and 32 bits" },
        { "float 16 bits", WavBuilder.Riff(WavBuilder.Fmt(3, 1, 16000, 16), WavBuilder.Chunk("data", [0, 0])), "unsupported IEEE float bit depth 16: supported are 32 and 64 bits" },
        { "adpcm", WavBuilder.Riff(WavBuilder.Fmt(2, 1, 16000, 4), WavBuilder.Chunk("data", [0, 0])),
            "unsupported WAV format tag 0x0002 (MS ADPCM): send PCM (8/16/24/32-bit), IEEE float, A-law or mu-law WAV" },
        { "block align", WavBuilder.Riff(WavBuilder.Fmt(1, 2, 16000, 16, blockAlign: 2), WavBuilder.Chunk("data", [0, 0])),
            "WAV block align is 2 bytes but 2 channel(s) of 16-bit samples need 4" },
        { "empty data", WavBuilder.Riff(WavBuilder.Fmt(1, 1, 16000, 16), WavBuilder.Chunk("data", [])), "WAV data chunk is empty: the audio has no samples" },
        { "less than a frame", WavBuilder.Riff(WavBuilder.Fmt(1, 2, 16000, 24), WavBuilder.Chunk("data", [1, 2, 3, 4])),
            "WAV data chunk holds 4 bytes, less than one 6-byte sample frame" },
        { "nan", WavBuilder.Riff(WavBuilder.Fmt(3, 1, 16000, 32), WavBuilder.Chunk("data", WavBuilder.Float32Data(0f, float.NaN))),
            "float sample at frame 1, channel 0 is NaN or infinite; samples must be finite" },
        { "infinity", WavBuilder.Riff(WavBuilder.Fmt(3, 2, 16000, 32), WavBuilder.Chunk("data", WavBuilder.Float32Data(0f, float.PositiveInfinity))),
            "float sample at frame 0, channel 1 is NaN or infinite; samples must be finite" },
        { "extensible short", WavBuilder.Riff(WavBuilder.Fmt(0xFFFE, 1, 16000, 16), WavBuilder.Chunk("data", [0, 0])),
            "WAVE_FORMAT_EXTENSIBLE fmt chunk is 16 bytes; 40 are needed" },
    };

    [Theory]
    [MemberData(nameof(Corrupt))]
    public void Read_CorruptOrUnsupported_ThrowsAudioFormatExceptionSayingWhy(string scenario, byte[] file, string message)
    {
        var error = Assert.Throws<AudioFormatException>(() => WavReader.Read(file));

        Assert.True(message == error.Message, $"{scenario}: got '{error.Message}'");
        Assert.Equal(AudioFields.Content, Assert.Single(error.Violations).Field);
    }

    [Fact]
    public void Read_ExtensibleWithUnknownGuid_NamesTheGuid()
    {
        var fmt = WavBuilder.FmtExtensible(1, 1, 16000, 16, 16);
        fmt[8 + 24 + 15] = 0x00; // last GUID byte
        var file = WavBuilder.Riff(fmt, WavBuilder.Chunk("data", [0, 0]));

        var error = Assert.Throws<AudioFormatException>(() => WavReader.Read(file));

        Assert.StartsWith("unsupported WAVE_FORMAT_EXTENSIBLE sub-format 00000001-0000-0010-8000-00aa00389b00", error.Message);
    }

    [Fact]
    public void Read_LongerThanMaxDuration_Throws()
    {
        var file = WavWriter.Write(new float[16000 * 3], 16000);
        var limits = new AudioLimits { MaxDuration = TimeSpan.FromSeconds(2) };

        var error = Assert.Throws<AudioFormatException>(() => WavReader.Read(file, limits));

        Assert.Equal("audio is 3 s long, longer than the limit of 2 s", error.Message);
    }

    [Fact]
    public void Read_LargerThanMaxBytes_Throws()
    {
        var file = WavWriter.Write(new float[1000], 16000);
        var limits = new AudioLimits { MaxBytes = 1000 };

        var error = Assert.Throws<AudioFormatException>(() => WavReader.Read(file, limits));

        Assert.Equal("audio content is 2044 bytes, more than the limit of 1000 bytes", error.Message);
    }

    [Theory]
    [InlineData("-b", "8", "-e", "unsigned-integer", "1")]
    [InlineData("-b", "16", "-e", "signed-integer", "1")]
    [InlineData("-b", "24", "-e", "signed-integer", "1")]
    [InlineData("-b", "32", "-e", "signed-integer", "1")]
    [InlineData("-b", "32", "-e", "floating-point", "1")]
    [InlineData("-b", "64", "-e", "floating-point", "1")]
    [InlineData("-b", "16", "-e", "signed-integer", "2")]
    [InlineData("-b", "24", "-e", "signed-integer", "2")]
    [InlineData("-b", "16", "-e", "signed-integer", "4")]
    [InlineData("-b", "8", "-e", "mu-law", "1")]
    [InlineData("-b", "8", "-e", "a-law", "2")]
    public void Read_SoxMadeFile_MatchesSoxOwnFloatConversion(string b, string bits, string e, string encoding, string channels)
    {
        using var sox = new Sox();
        // Different tones per channel so a wrong downmix shows; sox picks EXTENSIBLE headers for >2 channels or >16 bits.
        sox.Run("-n", "-r", "16000", b, bits, e, encoding, "-c", channels, "in.wav",
            "synth", "0.25", "sine", "440", "sine", "1000", "sine", "2500", "sine", "300", "vol", "0.8");
        sox.Run("in.wav", "-t", "f32", "reference.raw");
        var reference = MemoryMarshalFloats(sox.Read("reference.raw"));
        var channelCount = int.Parse(channels);

        var wav = WavReader.Read(sox.Read("in.wav"));

        Assert.Equal(channelCount, wav.ChannelCount);
        Assert.Equal(reference.Length / channelCount, wav.Samples.Length);
        for (var i = 0; i < wav.Samples.Length; i++)
        {
            var mean = 0f;
            for (var c = 0; c < channelCount; c++)
            {
                mean += reference[i * channelCount + c];
            }
            mean /= channelCount;
            Assert.True(Math.Abs(wav.Samples[i] - mean) < 1e-6, $"frame {i}: {wav.Samples[i]} vs sox {mean}");
        }
    }

    internal static float[] MemoryMarshalFloats(byte[] raw)
    {
        var samples = new float[raw.Length / 4];
        for (var i = 0; i < samples.Length; i++)
        {
            samples[i] = BinaryPrimitives.ReadSingleLittleEndian(raw.AsSpan(4 * i));
        }
        return samples;
    }
}
