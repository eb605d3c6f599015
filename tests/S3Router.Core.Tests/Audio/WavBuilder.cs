using System.Buffers.Binary;
using System.Text;

namespace S3Router.Core.Tests.Audio;

/// <summary>Hand-built RIFF/WAVE files, so tests control every header field (including wrong ones).</summary>
internal static class WavBuilder
{
    public static byte[] Riff(params byte[][] chunks)
    {
        var body = chunks.SelectMany(c => c).ToArray();
        var file = new byte[12 + body.Length];
        Encoding.ASCII.GetBytes("RIFF").CopyTo(file, 0);
        BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(4), (uint)(4 + body.Length));
        Encoding.ASCII.GetBytes("WAVE").CopyTo(file, 8);
        body.CopyTo(file, 12);
        return file;
    }

    /// <summary>A chunk with its pad byte when the size is odd; <paramref name="declaredSize"/> overrides the size field.</summary>
    public static byte[] Chunk(string id, byte[] data, uint? declaredSize = null)
    {
        var padded = data.Length + (data.Length & 1);
        var chunk = new byte[8 + padded];
        Encoding.ASCII.GetBytes(id).CopyTo(chunk, 0);
        BinaryPrimitives.WriteUInt32LittleEndian(chunk.AsSpan(4), declaredSize ?? (uint)data.Length);
        data.CopyTo(chunk, 8);
        return chunk;
    }

    public static byte[] Fmt(ushort tag, ushort channels, uint sampleRate, ushort bits, ushort? blockAlign = null)
    {
        var fmt = new byte[16];
        var align = blockAlign ?? (ushort)(channels * ((bits + 7) / 8));
        BinaryPrimitives.WriteUInt16LittleEndian(fmt, tag);
        BinaryPrimitives.WriteUInt16LittleEndian(fmt.AsSpan(2), channels);
        BinaryPrimitives.WriteUInt32LittleEndian(fmt.AsSpan(4), sampleRate);
        BinaryPrimitives.WriteUInt32LittleEndian(fmt.AsSpan(8), sampleRate * align);
        BinaryPrimitives.WriteUInt16LittleEndian(fmt.AsSpan(12), align);
        BinaryPrimitives.WriteUInt16LittleEndian(fmt.AsSpan(14), bits);
        return Chunk("fmt ", fmt);
    }

    /// <summary>A 40-byte WAVE_FORMAT_EXTENSIBLE fmt chunk with a KSDATAFORMAT_SUBTYPE GUID for <paramref name="subTag"/>.</summary>
    public static byte[] FmtExtensible(ushort subTag, ushort channels, uint sampleRate, ushort containerBits, ushort validBits)
    {
        var fmt = new byte[40];
        var align = (ushort)(channels * containerBits / 8);
        BinaryPrimitives.WriteUInt16LittleEndian(fmt, 0xFFFE);
        BinaryPrimitives.WriteUInt16LittleEndian(fmt.AsSpan(2), channels);
        BinaryPrimitives.WriteUInt32LittleEndian(fmt.AsSpan(4), sampleRate);
        BinaryPrimitives.WriteUInt32LittleEndian(fmt.AsSpan(8), sampleRate * align);
        BinaryPrimitives.WriteUInt16LittleEndian(fmt.AsSpan(12), align);
        BinaryPrimitives.WriteUInt16LittleEndian(fmt.AsSpan(14), containerBits);
        BinaryPrimitives.WriteUInt16LittleEndian(fmt.AsSpan(16), 22);
        BinaryPrimitives.WriteUInt16LittleEndian(fmt.AsSpan(18), validBits);
        BinaryPrimitives.WriteUInt32LittleEndian(fmt.AsSpan(20), channels == 2 ? 3u : 4u);
        BinaryPrimitives.WriteUInt16LittleEndian(fmt.AsSpan(24), subTag);
        byte[] tail = [0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71];
        tail.CopyTo(fmt, 26);
        return Chunk("fmt ", fmt);
    }

    public static byte[] Int16Data(params short[] samples)
    {
        var data = new byte[samples.Length * 2];
        for (var i = 0; i < samples.Length; i++)
        {
            BinaryPrimitives.WriteInt16LittleEndian(data.AsSpan(2 * i), samples[i]);
        }
        return data;
    }

    public static byte[] Float32Data(params float[] samples)
    {
        var data = new byte[samples.Length * 4];
        for (var i = 0; i < samples.Length; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(data.AsSpan(4 * i), samples[i]);
        }
        return data;
    }
}
