using System.Buffers.Binary;
using System.Text;

namespace S3Router.Core.Tests.Safetensors;

/// <summary>Builds safetensors bytes by hand, so tests can write headers the writer would refuse.</summary>
internal static class RawSafetensors
{
    public static byte[] Build(string headerJson, int dataLength) => Build(Encoding.UTF8.GetBytes(headerJson), new byte[dataLength]);

    public static byte[] Build(byte[] header, byte[] data)
    {
        var bytes = new byte[8 + header.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)header.Length);
        header.CopyTo(bytes, 8);
        data.CopyTo(bytes, 8 + header.Length);
        return bytes;
    }
}
