using System.Runtime.InteropServices;
using S3Router.Core.Errors;
using S3Router.Core.Masks;
using S3Router.Core.Safetensors;

namespace S3Router.Core.Tests.Masks;

/// <summary><see cref="MaskBundle.ReadInPlace"/>: the same bundle as <see cref="MaskBundle.Read(ReadOnlyMemory{byte})"/>, its tensors views of the bytes.</summary>
public sealed class MaskBundleReadInPlaceTests
{
    private const string Digest = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    private const string Fc1 = "encoder.layers.0.feed_forward.intermediate_dense.weight";
    private const string Fc2 = "encoder.layers.0.feed_forward.output_dense.weight";

    [Fact]
    public void ReadInPlace_WrittenBundle_SameContentAsRead()
    {
        var bytes = Bundle().ToBytes();

        var copied = MaskBundle.Read(bytes);
        var inPlace = MaskBundle.ReadInPlace(bytes);

        Assert.Equal(copied.Task, inPlace.Task);
        Assert.Equal(copied.Labels, inPlace.Labels);
        Assert.Equal(copied.Lineage, inPlace.Lineage);
        Assert.Equal(copied.Masks.Select(m => (m.Name, m.KeptCount, m.Packed.ToArray())), inPlace.Masks.Select(m => (m.Name, m.KeptCount, m.Packed.ToArray())));
        Assert.Equal(copied.Heads.Select(h => (h.Name, h.Values.ToArray())), inPlace.Heads.Select(h => (h.Name, h.Values.ToArray())));
        Assert.Equal(bytes, inPlace.ToBytes());
    }

    [Fact]
    public void ReadInPlace_WrittenBundle_EveryMaskAndHeadIsAViewOfTheBytes()
    {
        var bytes = Bundle().ToBytes();

        var bundle = MaskBundle.ReadInPlace(bytes);

        Assert.All(bundle.Masks, m => Assert.True(bytes.AsSpan().Overlaps(m.Packed), m.Name));
        Assert.All(bundle.Heads, h => Assert.True(bytes.AsSpan().Overlaps(MemoryMarshal.AsBytes(h.Values)), h.Name));
    }

    [Fact]
    public void Read_WrittenBundle_CopiesSoTheCallerMayReuseTheBytes()
    {
        var bytes = Bundle().ToBytes();
        var bundle = MaskBundle.Read(bytes);
        var before = bundle.Heads.Select(h => h.Values.ToArray()).ToList();

        Array.Clear(bytes);

        Assert.Equal(before, bundle.Heads.Select(h => h.Values.ToArray()));
        Assert.All(bundle.Masks, m => Assert.False(bytes.AsSpan().Overlaps(m.Packed), m.Name));
    }

    [Fact]
    public void ReadInPlace_PaddingBitsSet_ThrowsInvalidInputAsRead()
    {
        var bytes = Bundle().ToBytes();
        using (var file = SafetensorsFile.FromBytes(bytes))
        {
            // Fc2 has 21 elements: the top 3 bits of its last byte are padding.
            Assert.True(MemoryMarshal.TryGetArray(file.GetMemory(Fc2 + MaskBundle.MaskSuffix), out var segment));
            bytes[segment.Offset + segment.Count - 1] |= 0x80;
        }

        var error = Assert.Throws<InvalidInputException>(() => MaskBundle.ReadInPlace(bytes));

        Assert.Equal(Assert.Throws<InvalidInputException>(() => MaskBundle.Read(bytes)).Message, error.Message);
        Assert.Contains("padding", error.Message);
    }

    [Fact]
    public void HeadMemory_Sliced_SameFloatsAsTheSpan()
    {
        var bundle = MaskBundle.ReadInPlace(Bundle().ToBytes());
        var head = bundle.Heads.Single(h => h.Name == "head.weight");

        var tail = head.Memory[3..];

        Assert.Equal(head.Values[3..].ToArray(), tail.ToArray());
        Assert.True(tail.Span.Overlaps(head.Values));
    }

    private static MaskBundle Bundle()
    {
        var random = new Random(3);
        bool[] Bits(int count) => Enumerable.Range(0, count).Select(_ => random.NextDouble() < 0.9).ToArray();
        float[] Floats(int count) => Enumerable.Range(0, count).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
        return new MaskBundle
        {
            Task = "asr",
            Language = "en",
            BackboneDigest = Digest,
            HeadKind = MaskHeadKind.Ctc,
            Labels = ["<pad>", "|", "a", "b", "c"],
            Masks = [MaskTensor.FromBits(Fc2, [3, 7], Bits(21)), MaskTensor.FromBits(Fc1, [8, 5], Bits(40))],
            Heads = [new HeadTensor("head.weight", [5, 4], Floats(20)), new HeadTensor("head.bias", [5], Floats(5))],
        };
    }
}
