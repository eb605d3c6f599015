namespace S3Router.Core.Audio;

/// <summary>
/// The one entry point from request bytes to model input: decodes WAV or raw LINEAR16 / MULAW / ALAW content,
/// averages channels to mono, enforces <see cref="AudioLimits"/> and resamples to 16 kHz.
/// Content that starts with a RIFF/WAVE header is read as WAV whatever the declared encoding among
/// ENCODING_UNSPECIFIED, LINEAR16, MULAW and ALAW; a declared sample rate or channel count must then match the
/// header (0 means "take the header's"). Every error is an <see cref="AudioFormatException"/>.
/// </summary>
public static class AudioDecoder
{
    /// <summary>The rate the wav2vec2 backbones expect, in Hz.</summary>
    public const int TargetSampleRateHertz = 16_000;

    /// <summary>Decodes <paramref name="content"/> to mono float samples at <paramref name="targetSampleRateHertz"/>.</summary>
    /// <param name="content">The audio bytes (<c>RecognitionAudio.content</c>).</param>
    /// <param name="encoding">The declared encoding (<c>RecognitionConfig.encoding</c>).</param>
    /// <param name="sampleRateHertz">The declared rate in Hz: required for raw audio, 0 or the header's rate for WAV.</param>
    /// <param name="limits">Size, duration and rate bounds; <see cref="AudioLimits.Default"/> when null.</param>
    /// <param name="audioChannelCount">Interleaved channels of raw audio (0 means 1); for WAV, 0 or the header's count.</param>
    /// <param name="targetSampleRateHertz">Output rate in Hz. Default: 16000.</param>
    /// <exception cref="AudioFormatException">The content or the declared fields are wrong, unsupported or over a limit.</exception>
    public static DecodedAudio Decode(
        ReadOnlySpan<byte> content,
        AudioEncoding encoding,
        int sampleRateHertz,
        AudioLimits? limits = null,
        int audioChannelCount = 0,
        int targetSampleRateHertz = TargetSampleRateHertz)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(targetSampleRateHertz);
        limits ??= AudioLimits.Default;
        if (sampleRateHertz < 0)
        {
            throw new AudioFormatException(
                $"sample_rate_hertz is {sampleRateHertz}; it must be positive, or 0 for WAV content", AudioFields.SampleRateHertz);
        }
        if (audioChannelCount < 0)
        {
            throw new AudioFormatException(
                $"audio_channel_count is {audioChannelCount}; it must be positive, or 0 for the default", AudioFields.AudioChannelCount);
        }
        AudioValidation.CheckContentSize(content.Length, limits);

        var (samples, rate, channels) = encoding switch
        {
            AudioEncoding.EncodingUnspecified or AudioEncoding.Linear16 or AudioEncoding.Mulaw or AudioEncoding.Alaw
                when WavReader.IsWav(content) => DecodeWav(content, sampleRateHertz, audioChannelCount, limits),
            AudioEncoding.EncodingUnspecified => throw NoHeader(content),
            AudioEncoding.Linear16 => DecodeRaw(content, WavSampleFormat.Pcm, 2, "LINEAR16", sampleRateHertz, audioChannelCount, limits),
            AudioEncoding.Mulaw => DecodeRaw(content, WavSampleFormat.Mulaw, 1, "MULAW", sampleRateHertz, audioChannelCount, limits),
            AudioEncoding.Alaw => DecodeRaw(content, WavSampleFormat.Alaw, 1, "ALAW", sampleRateHertz, audioChannelCount, limits),
            _ when Enum.IsDefined(encoding) => throw Unsupported(ProtoName(encoding)),
            _ => throw new AudioFormatException($"unknown encoding {(int)encoding}", AudioFields.Encoding),
        };

        var duration = TimeSpan.FromSeconds((double)samples.Length / rate);
        var output = AudioResampler.Resample(samples, rate, targetSampleRateHertz);
        return new DecodedAudio(output, targetSampleRateHertz, rate, channels, duration);
    }

    private static (float[] Samples, int Rate, int Channels) DecodeWav(
        ReadOnlySpan<byte> content, int sampleRateHertz, int audioChannelCount, AudioLimits limits)
    {
        var wav = WavReader.Read(content, limits);
        if (sampleRateHertz != 0 && sampleRateHertz != wav.SampleRateHertz)
        {
            throw new AudioFormatException(
                $"sample_rate_hertz is {sampleRateHertz} but the WAV header says {wav.SampleRateHertz}; send 0 or the header's rate",
                AudioFields.SampleRateHertz);
        }
        if (audioChannelCount != 0 && audioChannelCount != wav.ChannelCount)
        {
            throw new AudioFormatException(
                $"audio_channel_count is {audioChannelCount} but the WAV header says {wav.ChannelCount}; send 0 or the header's count",
                AudioFields.AudioChannelCount);
        }
        return (wav.Samples, wav.SampleRateHertz, wav.ChannelCount);
    }

    private static (float[] Samples, int Rate, int Channels) DecodeRaw(
        ReadOnlySpan<byte> content, WavSampleFormat format, int bytesPerSample, string name,
        int sampleRateHertz, int audioChannelCount, AudioLimits limits)
    {
        if (sampleRateHertz == 0)
        {
            throw new AudioFormatException(
                $"sample_rate_hertz is required for raw {name} audio (the content has no WAV header)", AudioFields.SampleRateHertz);
        }
        AudioValidation.CheckSampleRate(sampleRateHertz, limits, name, AudioFields.SampleRateHertz);
        var channels = audioChannelCount == 0 ? 1 : audioChannelCount;
        var frameBytes = (long)channels * bytesPerSample;
        if (content.Length % frameBytes != 0)
        {
            throw new AudioFormatException(
                $"{name} content is {content.Length} bytes, not a whole number of {frameBytes}-byte frames " +
                $"({channels} channel(s) of {bytesPerSample * 8}-bit samples)");
        }
        var frames = content.Length / frameBytes;
        AudioValidation.CheckDuration(frames, sampleRateHertz, limits);
        var samples = new float[frames];
        PcmDecoding.DecodeToMono(content, format, bytesPerSample, channels, samples);
        return (samples, sampleRateHertz, channels);
    }

    private static AudioFormatException NoHeader(ReadOnlySpan<byte> content)
    {
        if (content.StartsWith("fLaC"u8))
        {
            return Unsupported("FLAC");
        }
        if (content.StartsWith("OggS"u8))
        {
            return Unsupported("OGG_OPUS");
        }
        return new AudioFormatException(
            "encoding is ENCODING_UNSPECIFIED but the content has no WAV (RIFF/WAVE) header: send a WAV file, " +
            "or set encoding (LINEAR16, MULAW or ALAW) and sample_rate_hertz",
            AudioFields.Encoding);
    }

    private static AudioFormatException Unsupported(string name) => new(
        $"unsupported encoding {name}: send LINEAR16 (raw or WAV), MULAW or ALAW", AudioFields.Encoding);

    private static string ProtoName(AudioEncoding encoding) => encoding switch
    {
        AudioEncoding.Flac => "FLAC",
        AudioEncoding.Amr => "AMR",
        AudioEncoding.AmrWb => "AMR_WB",
        AudioEncoding.OggOpus => "OGG_OPUS",
        AudioEncoding.SpeexWithHeaderByte => "SPEEX_WITH_HEADER_BYTE",
        AudioEncoding.Mp3 => "MP3",
        AudioEncoding.WebmOpus => "WEBM_OPUS",
        _ => encoding.ToString(),
    };
}
