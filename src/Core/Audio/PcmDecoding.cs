using System.Buffers.Binary;

namespace S3Router.Core.Audio;

/// <summary>
/// Turns interleaved stored samples into mono floats in [-1, 1] by averaging the channels of each frame.
/// Integers scale by 2^(bits-1) (so 16-bit -32768 maps to exactly -1); floats are clamped to [-1, 1];
/// a NaN or infinite float is refused.
/// </summary>
internal static class PcmDecoding
{
    /// <summary>Decodes whole frames of <paramref name="data"/> into <paramref name="output"/> (one value per frame).</summary>
    public static void DecodeToMono(
        ReadOnlySpan<byte> data, WavSampleFormat format, int containerBytes, int channelCount, Span<float> output)
    {
        switch (format, containerBytes)
        {
            case (WavSampleFormat.Pcm, 1): Decode<UInt8Reader>(data, channelCount, output); break;
            case (WavSampleFormat.Pcm, 2): Decode<Int16Reader>(data, channelCount, output); break;
            case (WavSampleFormat.Pcm, 3): Decode<Int24Reader>(data, channelCount, output); break;
            case (WavSampleFormat.Pcm, 4): Decode<Int32Reader>(data, channelCount, output); break;
            case (WavSampleFormat.IeeeFloat, 4): Decode<Float32Reader>(data, channelCount, output); break;
            case (WavSampleFormat.IeeeFloat, 8): Decode<Float64Reader>(data, channelCount, output); break;
            case (WavSampleFormat.Mulaw, 1): Decode<MulawReader>(data, channelCount, output); break;
            case (WavSampleFormat.Alaw, 1): Decode<AlawReader>(data, channelCount, output); break;
            default:
                throw new InvalidOperationException($"no decoder for {format} in {containerBytes}-byte samples");
        }
    }

    private static void Decode<TReader>(ReadOnlySpan<byte> data, int channelCount, Span<float> output)
        where TReader : ISampleReader
    {
        var frameBytes = channelCount * TReader.Size;
        if (channelCount == 1)
        {
            for (var i = 0; i < output.Length; i++)
            {
                var value = TReader.Read(data.Slice(i * frameBytes, TReader.Size));
                if (TReader.MayBeNaN && float.IsNaN(value))
                {
                    throw NonFinite(i, 0);
                }
                output[i] = value;
            }
            return;
        }

        var scale = 1f / channelCount;
        for (var i = 0; i < output.Length; i++)
        {
            var frame = data.Slice(i * frameBytes, frameBytes);
            var sum = 0f;
            for (var c = 0; c < channelCount; c++)
            {
                var value = TReader.Read(frame.Slice(c * TReader.Size, TReader.Size));
                if (TReader.MayBeNaN && float.IsNaN(value))
                {
                    throw NonFinite(i, c);
                }
                sum += value;
            }
            output[i] = Math.Clamp(sum * scale, -1f, 1f);
        }
    }

    private static AudioFormatException NonFinite(int frame, int channel) =>
        new($"float sample at frame {frame}, channel {channel} is NaN or infinite; samples must be finite");

    private interface ISampleReader
    {
        static abstract int Size { get; }

        static abstract bool MayBeNaN { get; }

        static abstract float Read(ReadOnlySpan<byte> sample);
    }

    private readonly struct UInt8Reader : ISampleReader
    {
        public static int Size => 1;
        public static bool MayBeNaN => false;
        public static float Read(ReadOnlySpan<byte> sample) => (sample[0] - 128) / 128f;
    }

    private readonly struct Int16Reader : ISampleReader
    {
        public static int Size => 2;
        public static bool MayBeNaN => false;
        public static float Read(ReadOnlySpan<byte> sample) =>
            BinaryPrimitives.ReadInt16LittleEndian(sample) / 32768f;
    }

    private readonly struct Int24Reader : ISampleReader
    {
        public static int Size => 3;
        public static bool MayBeNaN => false;
        public static float Read(ReadOnlySpan<byte> sample) =>
            (sample[0] | (sample[1] << 8) | ((sbyte)sample[2] << 16)) / 8388608f;
    }

    private readonly struct Int32Reader : ISampleReader
    {
        public static int Size => 4;
        public static bool MayBeNaN => false;
        public static float Read(ReadOnlySpan<byte> sample) =>
            (float)(BinaryPrimitives.ReadInt32LittleEndian(sample) / 2147483648.0);
    }

    private readonly struct Float32Reader : ISampleReader
    {
        public static int Size => 4;
        public static bool MayBeNaN => true;
        public static float Read(ReadOnlySpan<byte> sample)
        {
            var value = BinaryPrimitives.ReadSingleLittleEndian(sample);
            return float.IsFinite(value) ? Math.Clamp(value, -1f, 1f) : float.NaN;
        }
    }

    private readonly struct Float64Reader : ISampleReader
    {
        public static int Size => 8;
        public static bool MayBeNaN => true;
        public static float Read(ReadOnlySpan<byte> sample)
        {
            var value = BinaryPrimitives.ReadDoubleLittleEndian(sample);
            return double.IsFinite(value) ? (float)Math.Clamp(value, -1.0, 1.0) : float.NaN;
        }
    }

    private readonly struct MulawReader : ISampleReader
    {
        public static int Size => 1;
        public static bool MayBeNaN => false;
        public static float Read(ReadOnlySpan<byte> sample) => G711.MulawToFloat[sample[0]];
    }

    private readonly struct AlawReader : ISampleReader
    {
        public static int Size => 1;
        public static bool MayBeNaN => false;
        public static float Read(ReadOnlySpan<byte> sample) => G711.AlawToFloat[sample[0]];
    }
}
