using System.Buffers.Binary;
using System.Text;

namespace S3Router.Core.Audio;

/// <summary>
/// Reads RIFF/WAVE files: integer PCM (unsigned 8-bit, signed 9..32-bit in 2/3/4-byte containers), IEEE float
/// (32 and 64 bits), G.711 A-law and mu-law, plain or WAVE_FORMAT_EXTENSIBLE headers. Unknown chunks (LIST, fact,
/// bext, ...) are skipped with their odd-size padding; any channel count is averaged to mono.
/// A data chunk of length 0xFFFFFFFF (written by streaming encoders) runs to the end of the content.
/// Every problem throws <see cref="AudioFormatException"/> on <see cref="AudioFields.Content"/>.
/// Reference: http://www-mmsp.ece.mcgill.ca/Documents/AudioFormats/WAVE/WAVE.html
/// </summary>
public static class WavReader
{
    private const ushort FormatExtensible = 0xFFFE;
    private const int MaxPcmBits = 32;

    // KSDATAFORMAT_SUBTYPE_* GUIDs are {0000XXXX-0000-0010-8000-00AA00389B71}; XXXX is the plain format tag.
    private static ReadOnlySpan<byte> SubFormatGuidTail =>
        [0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71];

    /// <summary>True when <paramref name="content"/> starts with a RIFF/WAVE header (it may still be corrupt further on).</summary>
    public static bool IsWav(ReadOnlySpan<byte> content) =>
        content.Length >= 12 && content[..4].SequenceEqual("RIFF"u8) && content[8..12].SequenceEqual("WAVE"u8);

    /// <summary>Parses a WAV file and averages its channels to mono.</summary>
    /// <param name="content">The whole file.</param>
    /// <param name="limits">Size, duration and sample-rate bounds; <see cref="AudioLimits.Default"/> when null.</param>
    /// <exception cref="AudioFormatException">The file is not a WAV this reader supports, is corrupt, or breaks a limit.</exception>
    public static WavAudio Read(ReadOnlySpan<byte> content, AudioLimits? limits = null)
    {
        limits ??= AudioLimits.Default;
        AudioValidation.CheckContentSize(content.Length, limits);
        var (format, dataOffset, dataLength) = FindFormatAndData(content);
        var data = content.Slice(dataOffset, dataLength);
        AudioValidation.CheckSampleRate(format.SampleRateHertz, limits, "WAV", AudioFields.Content);

        var frames = data.Length / format.BlockAlign;
        if (frames == 0)
        {
            throw new AudioFormatException(data.Length == 0
                ? "WAV data chunk is empty: the audio has no samples"
                : $"WAV data chunk holds {data.Length} bytes, less than one {format.BlockAlign}-byte sample frame");
        }
        AudioValidation.CheckDuration(frames, (int)format.SampleRateHertz, limits);

        var samples = new float[frames];
        // A trailing partial frame (a common writer bug) is ignored rather than refused.
        PcmDecoding.DecodeToMono(data[..(frames * format.BlockAlign)], format.Format, format.ContainerBytes,
            format.ChannelCount, samples);
        return new WavAudio(samples, (int)format.SampleRateHertz, format.ChannelCount, format.Format,
            format.ContainerBytes * 8);
    }

    private static (WavFormat Format, int DataOffset, int DataLength) FindFormatAndData(ReadOnlySpan<byte> content)
    {
        CheckRiffHeader(content);
        WavFormat? format = null;
        var position = 12;
        while (true)
        {
            var remaining = content.Length - position;
            if (remaining < 8)
            {
                throw new AudioFormatException(format is null
                    ? "WAV has no fmt chunk"
                    : remaining == 0
                        ? "WAV has no data chunk"
                        : $"WAV chunk header at byte {position} is truncated: {remaining} bytes remain, 8 needed");
            }
            var id = content.Slice(position, 4);
            var size = BinaryPrimitives.ReadUInt32LittleEndian(content.Slice(position + 4, 4));
            position += 8;
            remaining -= 8;

            if (id.SequenceEqual("data"u8))
            {
                if (format is null)
                {
                    throw new AudioFormatException("WAV data chunk comes before the fmt chunk");
                }
                if (size == uint.MaxValue)
                {
                    return (format.Value, position, remaining);
                }
                if (size > remaining)
                {
                    throw new AudioFormatException(
                        $"WAV data chunk claims {size} bytes but only {remaining} remain");
                }
                return (format.Value, position, (int)size);
            }

            if (size > remaining)
            {
                throw new AudioFormatException(
                    $"WAV chunk '{FourCc(id)}' at byte {position - 8} claims {size} bytes but only {remaining} remain");
            }
            if (id.SequenceEqual("fmt "u8))
            {
                // A second fmt chunk is ignored: the first one describes the data.
                format ??= ParseFormat(content.Slice(position, (int)size));
            }
            // Chunks are word-aligned: an odd size is followed by one pad byte, which may be missing at the very end.
            position += (int)size;
            if ((size & 1) == 1 && position < content.Length)
            {
                position++;
            }
        }
    }

    private static void CheckRiffHeader(ReadOnlySpan<byte> content)
    {
        if (content.Length < 12)
        {
            throw new AudioFormatException(
                $"WAV header is truncated: the content is {content.Length} bytes, a RIFF/WAVE header needs 12");
        }
        var riff = content[..4];
        if (riff.SequenceEqual("RIFX"u8))
        {
            throw new AudioFormatException("big-endian RIFX WAV is not supported: send little-endian RIFF WAV");
        }
        if (riff.SequenceEqual("RF64"u8))
        {
            throw new AudioFormatException("RF64 WAV is not supported: send RIFF WAV (at most 4 GiB)");
        }
        if (!riff.SequenceEqual("RIFF"u8))
        {
            throw new AudioFormatException($"content is not a WAV file: it starts with '{FourCc(riff)}', not 'RIFF'");
        }
        if (!content[8..12].SequenceEqual("WAVE"u8))
        {
            throw new AudioFormatException($"RIFF content is not WAVE: its form type is '{FourCc(content[8..12])}'");
        }
        // The RIFF size field is not checked: streaming writers leave it 0 or 0xFFFFFFFF.
    }

    private static WavFormat ParseFormat(ReadOnlySpan<byte> chunk)
    {
        if (chunk.Length < 16)
        {
            throw new AudioFormatException($"WAV fmt chunk is {chunk.Length} bytes; at least 16 are needed");
        }
        var tag = BinaryPrimitives.ReadUInt16LittleEndian(chunk);
        var channels = BinaryPrimitives.ReadUInt16LittleEndian(chunk[2..]);
        var sampleRate = BinaryPrimitives.ReadUInt32LittleEndian(chunk[4..]);
        var blockAlign = BinaryPrimitives.ReadUInt16LittleEndian(chunk[12..]);
        var bits = BinaryPrimitives.ReadUInt16LittleEndian(chunk[14..]);

        if (tag == FormatExtensible)
        {
            if (chunk.Length < 40)
            {
                throw new AudioFormatException(
                    $"WAVE_FORMAT_EXTENSIBLE fmt chunk is {chunk.Length} bytes; 40 are needed");
            }
            var validBits = BinaryPrimitives.ReadUInt16LittleEndian(chunk[18..]);
            if (validBits > bits)
            {
                throw new AudioFormatException(
                    $"WAVE_FORMAT_EXTENSIBLE declares {validBits} valid bits in a {bits}-bit sample");
            }
            var guid = chunk.Slice(24, 16);
            if (!guid[2..].SequenceEqual(SubFormatGuidTail))
            {
                throw new AudioFormatException(
                    $"unsupported WAVE_FORMAT_EXTENSIBLE sub-format {new Guid(guid)}: send PCM or IEEE float WAV");
            }
            // Valid bits sit in the high bits of the container, so the container size alone scales them right.
            tag = BinaryPrimitives.ReadUInt16LittleEndian(guid);
        }

        if (channels == 0)
        {
            throw new AudioFormatException("WAV fmt chunk declares 0 channels");
        }
        if (sampleRate == 0)
        {
            throw new AudioFormatException("WAV sample rate is 0 Hz");
        }
        var (format, containerBytes) = tag switch
        {
            1 when bits is > 0 and <= MaxPcmBits => (WavSampleFormat.Pcm, (bits + 7) / 8),
            1 => throw new AudioFormatException(
                $"unsupported PCM bit depth {bits}: supported are 8, 16, 24 and 32 bits"),
            3 when bits is 32 or 64 => (WavSampleFormat.IeeeFloat, bits / 8),
            3 => throw new AudioFormatException(
                $"unsupported IEEE float bit depth {bits}: supported are 32 and 64 bits"),
            6 or 7 when bits == 8 => (tag == 6 ? WavSampleFormat.Alaw : WavSampleFormat.Mulaw, 1),
            6 or 7 => throw new AudioFormatException(
                $"unsupported G.711 {(tag == 6 ? "A-law" : "mu-law")} bit depth {bits}: it must be 8 bits"),
            _ => throw new AudioFormatException(
                $"unsupported WAV format tag 0x{tag:X4}{DescribeTag(tag)}: send PCM (8/16/24/32-bit), IEEE float, A-law or mu-law WAV"),
        };
        var frameBytes = channels * containerBytes;
        if (blockAlign != frameBytes)
        {
            throw new AudioFormatException(
                $"WAV block align is {blockAlign} bytes but {channels} channel(s) of {bits}-bit samples need {frameBytes}");
        }
        return new WavFormat(format, channels, sampleRate, blockAlign, containerBytes);
    }

    private static string DescribeTag(ushort tag) => tag switch
    {
        0x0002 => " (MS ADPCM)",
        0x0011 => " (IMA ADPCM)",
        0x0031 => " (GSM 6.10)",
        0x0050 => " (MPEG)",
        0x0055 => " (MP3)",
        0x00FF or 0x1610 => " (AAC)",
        0xF1AC => " (FLAC)",
        _ => "",
    };

    private static string FourCc(ReadOnlySpan<byte> id)
    {
        var builder = new StringBuilder(16);
        foreach (var b in id)
        {
            if (b is >= 0x20 and < 0x7F)
            {
                builder.Append((char)b);
            }
            else
            {
                builder.Append($"\\x{b:X2}");
            }
        }
        return builder.ToString();
    }

    private readonly record struct WavFormat(
        WavSampleFormat Format, int ChannelCount, uint SampleRateHertz, int BlockAlign, int ContainerBytes);
}
