using System.Buffers.Binary;

namespace S3Router.Core.Audio;

/// <summary>
/// Writes canonical 44-byte-header RIFF/WAVE files (fmt + data chunks, plain format tag) for tests and tools.
/// Integer PCM: 8 (unsigned), 16, 24 or 32 bits; IEEE float: 32 or 64 bits. Integer samples are x·2^(bits-1)
/// rounded and clamped, so 16-bit values k/32768 round-trip exactly through <see cref="WavReader"/>.
/// </summary>
public static class WavWriter
{
    /// <summary>Encodes interleaved samples as a WAV file.</summary>
    /// <param name="interleaved">Samples in [-1, 1] (integer formats clamp), frame by frame.</param>
    /// <param name="sampleRateHertz">Sample rate in Hz, positive.</param>
    /// <param name="channelCount">Channels per frame, 1 to 65535. Default: 1.</param>
    /// <param name="format"><see cref="WavSampleFormat.Pcm"/> or <see cref="WavSampleFormat.IeeeFloat"/>. Default: PCM.</param>
    /// <param name="bitsPerSample">8/16/24/32 for PCM, 32/64 for float. Default: 16.</param>
    /// <exception cref="ArgumentException">An argument is out of the ranges above, or the sample count is not a whole number of frames.</exception>
    public static byte[] Write(
        ReadOnlySpan<float> interleaved,
        int sampleRateHertz,
        int channelCount = 1,
        WavSampleFormat format = WavSampleFormat.Pcm,
        int bitsPerSample = 16)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(sampleRateHertz);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(channelCount);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(channelCount, ushort.MaxValue);
        var supported = format switch
        {
            WavSampleFormat.Pcm => bitsPerSample is 8 or 16 or 24 or 32,
            WavSampleFormat.IeeeFloat => bitsPerSample is 32 or 64,
            _ => false,
        };
        if (!supported)
        {
            throw new ArgumentException($"cannot write {format} with {bitsPerSample} bits", nameof(bitsPerSample));
        }
        if (interleaved.Length % channelCount != 0)
        {
            throw new ArgumentException(
                $"{interleaved.Length} samples are not a whole number of {channelCount}-channel frames", nameof(interleaved));
        }

        var bytesPerSample = bitsPerSample / 8;
        var dataBytes = (long)interleaved.Length * bytesPerSample;
        if (dataBytes > int.MaxValue - 44)
        {
            throw new ArgumentException("audio too long for one WAV byte array", nameof(interleaved));
        }
        var file = new byte[44 + dataBytes];
        var span = file.AsSpan();
        "RIFF"u8.CopyTo(span);
        BinaryPrimitives.WriteUInt32LittleEndian(span[4..], (uint)(36 + dataBytes));
        "WAVE"u8.CopyTo(span[8..]);
        "fmt "u8.CopyTo(span[12..]);
        BinaryPrimitives.WriteUInt32LittleEndian(span[16..], 16);
        BinaryPrimitives.WriteUInt16LittleEndian(span[20..], (ushort)format);
        BinaryPrimitives.WriteUInt16LittleEndian(span[22..], (ushort)channelCount);
        BinaryPrimitives.WriteUInt32LittleEndian(span[24..], (uint)sampleRateHertz);
        BinaryPrimitives.WriteUInt32LittleEndian(span[28..], (uint)(sampleRateHertz * channelCount * bytesPerSample));
        BinaryPrimitives.WriteUInt16LittleEndian(span[32..], (ushort)(channelCount * bytesPerSample));
        BinaryPrimitives.WriteUInt16LittleEndian(span[34..], (ushort)bitsPerSample);
        "data"u8.CopyTo(span[36..]);
        BinaryPrimitives.WriteUInt32LittleEndian(span[40..], (uint)dataBytes);

        var data = span[44..];
        for (var i = 0; i < interleaved.Length; i++)
        {
            var sample = data.Slice(i * bytesPerSample, bytesPerSample);
            var x = interleaved[i];
            switch (format, bitsPerSample)
            {
                case (WavSampleFormat.IeeeFloat, 32):
                    BinaryPrimitives.WriteSingleLittleEndian(sample, x);
                    break;
                case (WavSampleFormat.IeeeFloat, 64):
                    BinaryPrimitives.WriteDoubleLittleEndian(sample, x);
                    break;
                case (_, 8):
                    sample[0] = (byte)(Quantize(x, 8) + 128);
                    break;
                case (_, 16):
                    BinaryPrimitives.WriteInt16LittleEndian(sample, (short)Quantize(x, 16));
                    break;
                case (_, 24):
                    var v = (int)Quantize(x, 24);
                    sample[0] = (byte)v;
                    sample[1] = (byte)(v >> 8);
                    sample[2] = (byte)(v >> 16);
                    break;
                default:
                    BinaryPrimitives.WriteInt32LittleEndian(sample, (int)Quantize(x, 32));
                    break;
            }
        }
        return file;
    }

    private static long Quantize(float x, int bits)
    {
        var full = 1L << (bits - 1);
        var scaled = Math.Round((double)x * full, MidpointRounding.ToEven);
        return (long)Math.Clamp(double.IsNaN(scaled) ? 0 : scaled, -full, full - 1);
    }
}
