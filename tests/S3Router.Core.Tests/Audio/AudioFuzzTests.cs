using System.Buffers.Binary;
using S3Router.Core.Audio;

namespace S3Router.Core.Tests.Audio;

public sealed class AudioFuzzTests(ITestOutputHelper output)
{
    private static readonly byte[][] s_seeds =
    [
        WavWriter.Write(Signals.Sine(440, 16000, 300), 16000),
        WavWriter.Write(Signals.Sine(440, 44100, 400), 22050, channelCount: 2, WavSampleFormat.Pcm, 24),
        WavWriter.Write(Signals.Sine(440, 8000, 200), 8000, format: WavSampleFormat.Pcm, bitsPerSample: 8),
        WavWriter.Write(Signals.Sine(440, 48000, 300), 48000, format: WavSampleFormat.IeeeFloat, bitsPerSample: 32),
        WavWriter.Write(Signals.Sine(440, 11025, 200), 11025, format: WavSampleFormat.IeeeFloat, bitsPerSample: 64),
        WavBuilder.Riff(
            WavBuilder.Chunk("LIST", [1, 2, 3]),
            WavBuilder.FmtExtensible(1, 3, 32000, 32, 24),
            WavBuilder.Chunk("data", new byte[3 * 4 * 100])),
        WavBuilder.Riff(WavBuilder.Fmt(7, 1, 8000, 8), WavBuilder.Chunk("data", Enumerable.Range(0, 256).Select(i => (byte)i).ToArray())),
    ];

    [Fact]
    public void Decode_RandomlyCorruptedWavs_OnlyAudioFormatExceptionEscapes()
    {
        var random = new Random(20240611);
        var limits = new AudioLimits { MaxDuration = TimeSpan.FromSeconds(5) };
        int valid = 0, refused = 0;
        var messages = new SortedDictionary<string, int>();

        for (var iteration = 0; iteration < 600; iteration++)
        {
            var content = Mutate(s_seeds[random.Next(s_seeds.Length)], random);
            try
            {
                var audio = AudioDecoder.Decode(content, AudioEncoding.EncodingUnspecified, 0, limits);
                Assert.All(audio.Samples, s => Assert.InRange(s, -1.5f, 1.5f));
                valid++;
            }
            catch (AudioFormatException error)
            {
                Assert.False(string.IsNullOrWhiteSpace(error.Message));
                var kind = error.Message.Split(' ', 4) is var words && words.Length >= 3 ? string.Join(' ', words[..3]) : error.Message;
                messages[kind] = messages.GetValueOrDefault(kind) + 1;
                refused++;
            }
        }

        output.WriteLine($"{valid} decoded, {refused} refused");
        foreach (var (kind, count) in messages)
        {
            output.WriteLine($"  {count,4} x {kind} ...");
        }
        Assert.True(valid > 50 && refused > 50, "the mutations should produce both outcomes");
    }

    [Fact]
    public void Decode_RandomRawBytes_OnlyAudioFormatExceptionEscapes()
    {
        var random = new Random(7);
        var encodings = new[] { AudioEncoding.Linear16, AudioEncoding.Mulaw, AudioEncoding.Alaw, AudioEncoding.EncodingUnspecified, AudioEncoding.Flac };

        for (var iteration = 0; iteration < 200; iteration++)
        {
            var content = new byte[random.Next(0, 64)];
            random.NextBytes(content);
            var encoding = encodings[random.Next(encodings.Length)];
            int[] rates = [-5, 0, 7999, 8000, 16000, 44101, 192000, 192001, int.MaxValue];
            var rate = rates[random.Next(rates.Length)];
            try
            {
                var audio = AudioDecoder.Decode(content, encoding, rate, audioChannelCount: random.Next(-1, 4));
                Assert.All(audio.Samples, s => Assert.True(float.IsFinite(s)));
            }
            catch (AudioFormatException)
            {
            }
        }
    }

    private static byte[] Mutate(byte[] seed, Random random)
    {
        var content = (byte[])seed.Clone();
        switch (random.Next(4))
        {
            case 0:
                return content[..random.Next(content.Length)];
            case 1:
                // Bit flips, mostly in the header where they matter.
                for (var flips = random.Next(1, 6); flips > 0; flips--)
                {
                    var index = random.Next(2) == 0 ? random.Next(Math.Min(80, content.Length)) : random.Next(content.Length);
                    content[index] ^= (byte)(1 << random.Next(8));
                }
                return content;
            case 2:
                // A header field (size, rate, counts) replaced by an extreme value.
                var offset = random.Next(0, Math.Min(76, content.Length - 4));
                uint[] extremes = [0, 1, 2, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 0xFFFE, 0x10000, (uint)random.Next()];
                BinaryPrimitives.WriteUInt32LittleEndian(content.AsSpan(offset), extremes[random.Next(extremes.Length)]);
                return content;
            default:
                // Float samples overwritten with NaN/Inf patterns, or a truncation plus a flip.
                var cut = content[..random.Next(12, content.Length)];
                var position = random.Next(cut.Length - 3);
                BinaryPrimitives.WriteSingleLittleEndian(cut.AsSpan(position), random.Next(2) == 0 ? float.NaN : float.NegativeInfinity);
                return cut;
        }
    }
}
