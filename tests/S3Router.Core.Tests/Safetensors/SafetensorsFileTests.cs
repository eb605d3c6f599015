using System.Buffers.Binary;
using S3Router.Core.Errors;
using S3Router.Core.Safetensors;

namespace S3Router.Core.Tests.Safetensors;

public sealed class SafetensorsFileTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("safetensors-tests").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void Open_FileWrittenByWriter_MemoryMapsSameContentAsFromBytes()
    {
        var values = Enumerable.Range(0, 1000).Select(i => i * 0.5f).ToArray();
        var path = Path.Combine(_directory, "model.safetensors");
        var writer = new SafetensorsWriter()
            .AddFloat32("encoder.w", [10, 100], values)
            .Add("ids", SafetensorsDtype.I64, [2], BitConverter.GetBytes(7L).Concat(BitConverter.GetBytes(-3L)).ToArray())
            .SetMetadata("format", "pt");
        writer.WriteToFile(path);

        using var file = SafetensorsFile.Open(path);

        Assert.Equal(values, file.ReadFloat32("encoder.w"));
        Assert.Equal(-3L, BinaryPrimitives.ReadInt64LittleEndian(file.GetBytes("ids")[8..]));
        Assert.Equal("pt", file.Metadata["format"]);
    }

    [Fact]
    public void Open_SparseFileLargerThan2GB_MapsWithoutReadingTheBuffer()
    {
        // 3 GB of zeros (sparse on disk) followed by one small tensor: offsets beyond int range, nothing copied.
        const long big = 3L << 30;
        var header = System.Text.Encoding.UTF8.GetBytes(
            $"{{\"big\":{{\"dtype\":\"U8\",\"shape\":[{big}],\"data_offsets\":[0,{big}]}}," +
            $"\"tail\":{{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[{big},{big + 8}]}}}}");
        var path = Path.Combine(_directory, "sparse.safetensors");
        using (var stream = File.Create(path))
        {
            stream.Write(RawSafetensors.Build(header, []));
            stream.SetLength(8 + header.Length + big);
            stream.Seek(0, SeekOrigin.End);
            stream.Write(BitConverter.GetBytes(1.5f));
            stream.Write(BitConverter.GetBytes(-4f));
        }

        using var file = SafetensorsFile.Open(path);

        Assert.Equal(new[] { 1.5f, -4f }, file.ReadFloat32("tail"));
        Assert.Equal(big, file.Tensors["big"].ByteLength);
        Assert.Throws<InvalidInputException>(() => file.GetBytes("big"));
    }

    [Fact]
    public void Open_OnlyEmptyTensors_OpensWithoutMapping()
    {
        var path = Path.Combine(_directory, "empty.safetensors");
        new SafetensorsWriter().Add("e", SafetensorsDtype.F32, [0, 3], []).WriteToFile(path);

        using var file = SafetensorsFile.Open(path);

        Assert.Empty(file.ReadFloat32("e"));
    }

    [Fact]
    public void Open_MissingFile_ThrowsNotFound()
    {
        Assert.Throws<NotFoundException>(() => SafetensorsFile.Open(Path.Combine(_directory, "nope.safetensors")));
    }

    [Fact]
    public void Open_TruncatedFile_ThrowsFormatError()
    {
        var path = Path.Combine(_directory, "short.safetensors");
        File.WriteAllBytes(path, [1, 2, 3]);

        Assert.Throws<SafetensorsFormatException>(() => SafetensorsFile.Open(path));
    }

    [Fact]
    public void FromStream_ValidBytes_ReadsTensors()
    {
        var bytes = new SafetensorsWriter().AddFloat32("w", [2], [1.5f, -2f]).ToArray();

        using var file = SafetensorsFile.FromStream(new MemoryStream(bytes));

        Assert.Equal(new[] { 1.5f, -2f }, file.ReadFloat32("w"));
    }

    [Fact]
    public void ReadFloat32_F16BF16AndF64_ConvertsToFloat()
    {
        float[] expected = [1f, -2.5f, 0.15625f, 65504f];
        var f16 = expected.SelectMany(v => BitConverter.GetBytes((Half)v)).ToArray();
        var bf16 = expected.SelectMany(v => BitConverter.GetBytes((ushort)(BitConverter.SingleToUInt32Bits(v) >> 16))).ToArray();
        var f64 = expected.SelectMany(v => BitConverter.GetBytes((double)v)).ToArray();
        var bytes = new SafetensorsWriter()
            .Add("h", SafetensorsDtype.F16, [4], f16)
            .Add("b", SafetensorsDtype.BF16, [2, 2], bf16)
            .Add("d", SafetensorsDtype.F64, [4], f64)
            .ToArray();

        using var file = SafetensorsFile.FromBytes(bytes);

        Assert.Equal(expected, file.ReadFloat32("h"));
        // bf16 keeps 8 mantissa bits: 65504 truncates to 65280.
        Assert.Equal(new[] { 1f, -2.5f, 0.15625f, 65280f }, file.ReadFloat32("b"));
        Assert.Equal(expected, file.ReadFloat32("d"));
    }

    [Fact]
    public void ReadFloat32_IntegerDtype_ThrowsInvalidInputNamingTensor()
    {
        using var file = SafetensorsFile.FromBytes(new SafetensorsWriter().Add("ids", SafetensorsDtype.I64, [1], new byte[8]).ToArray());

        var error = Assert.Throws<InvalidInputException>(() => file.ReadFloat32("ids"));

        Assert.Contains("'ids'", error.Message);
        Assert.Contains("I64", error.Message);
    }

    [Fact]
    public void GetBytes_UnknownName_ThrowsNotFound()
    {
        using var file = SafetensorsFile.FromBytes(new SafetensorsWriter().AddFloat32("w", [1], [1f]).ToArray());

        Assert.Throws<NotFoundException>(() => file.GetBytes("v"));
    }

    [Fact]
    public void GetBytes_AfterDispose_ThrowsObjectDisposed()
    {
        var path = Path.Combine(_directory, "d.safetensors");
        new SafetensorsWriter().AddFloat32("w", [1], [1f]).WriteToFile(path);
        var file = SafetensorsFile.Open(path);
        file.Dispose();

        Assert.Throws<ObjectDisposedException>(() => file.GetBytes("w"));
    }

    public static TheoryData<string, int, string, string?> InvalidHeaders => new()
    {
        { "[1, 2]", 0, "not a JSON object", null },
        { "{\"a\": ", 0, "not valid JSON", null },
        { "  {}", 0, "must start with '{'", null },
        { "{\"a\": {\"dtype\": \"F17\", \"shape\": [1], \"data_offsets\": [0, 4]}}", 4, "unknown dtype 'F17'", "a" },
        { "{\"a\": {\"dtype\": \"f32\", \"shape\": [1], \"data_offsets\": [0, 4]}}", 4, "unknown dtype 'f32'", "a" },
        { "{\"a\": {\"shape\": [1], \"data_offsets\": [0, 4]}}", 4, "'dtype'", "a" },
        { "{\"a\": {\"dtype\": \"F32\", \"shape\": [-1], \"data_offsets\": [0, 4]}}", 4, "negative dimension", "a" },
        { "{\"a\": {\"dtype\": \"F32\", \"shape\": [1.5], \"data_offsets\": [0, 4]}}", 4, "not a 64-bit integer", "a" },
        { "{\"a\": {\"dtype\": \"F32\", \"shape\": [99999999999999999999], \"data_offsets\": [0, 4]}}", 4, "not a 64-bit integer", "a" },
        { "{\"a\": {\"dtype\": \"F32\", \"shape\": [4294967296, 4294967296], \"data_offsets\": [0, 4]}}", 4, "too many elements", "a" },
        { "{\"a\": {\"dtype\": \"F64\", \"shape\": [2305843009213693952], \"data_offsets\": [0, 4]}}", 4, "more than 2^63 bytes", "a" },
        { "{\"a\": {\"dtype\": \"F32\", \"shape\": \"1\", \"data_offsets\": [0, 4]}}", 4, "'shape'", "a" },
        { "{\"a\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0]}}", 4, "expected 2", "a" },
        { "{\"a\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0, 8]}}", 4, "beyond the data buffer", "a" },
        { "{\"a\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [4, 0]}}", 4, "begin after end", "a" },
        { "{\"a\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [-4, 0]}}", 4, "negative data_offsets", "a" },
        { "{\"a\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 4]}}", 4, "needs 8 bytes", "a" },
        { "{\"a\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0, 4]}, \"b\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [2, 6]}}", 6, "overlap", "b" },
        { "{\"a\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [4, 8]}}", 8, "hole", "a" },
        { "{\"a\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0, 4]}}", 6, "trailing bytes", null },
        { "{\"a\": {\"dtype\": \"U8\", \"shape\": [1], \"data_offsets\": [0, 1]}, \"a\": {\"dtype\": \"U8\", \"shape\": [1], \"data_offsets\": [1, 2]}}", 2, "twice", "a" },
        { "{\"__metadata__\": {\"k\": 1}}", 0, "not a string", null },
        { "{\"__metadata__\": [\"k\"]}", 0, "not a JSON object", null },
        { "{\"a\": 3}", 0, "not a JSON object", "a" },
    };

    [Theory]
    [MemberData(nameof(InvalidHeaders))]
    public void FromBytes_InvalidHeader_ThrowsFormatErrorNamingTensorAndProblem(
        string header, int dataLength, string expectedText, string? expectedTensor)
    {
        var bytes = RawSafetensors.Build(header, dataLength);

        var error = Assert.Throws<SafetensorsFormatException>(() => SafetensorsFile.FromBytes(bytes));

        Assert.Contains(expectedText, error.Message);
        Assert.Equal(expectedTensor, error.TensorName);
        if (expectedTensor is not null)
        {
            Assert.Contains($"'{expectedTensor}'", error.Message);
        }
    }

    [Fact]
    public void FromBytes_HeaderNotUtf8_ThrowsFormatError()
    {
        var bytes = RawSafetensors.Build([(byte)'{', (byte)'"', 0xff, (byte)'"', (byte)':', (byte)'1', (byte)'}'], []);

        var error = Assert.Throws<SafetensorsFormatException>(() => SafetensorsFile.FromBytes(bytes));

        Assert.Contains("UTF-8", error.Message);
    }

    [Theory]
    [InlineData(200_000_000UL, "above the limit")]
    [InlineData(ulong.MaxValue, "above the limit")]
    [InlineData(64UL, "larger than")]
    public void FromBytes_BadHeaderLength_ThrowsFormatError(ulong headerLength, string expectedText)
    {
        var bytes = new byte[16];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, headerLength);

        var error = Assert.Throws<SafetensorsFormatException>(() => SafetensorsFile.FromBytes(bytes));

        Assert.Contains(expectedText, error.Message);
    }

    [Fact]
    public void FromBytes_HeaderWithUnknownFieldsAndTrailingSpaces_IsAccepted()
    {
        var bytes = RawSafetensors.Build("{\"a\": {\"dtype\": \"U8\", \"shape\": [2], \"data_offsets\": [0, 2], \"extra\": 1}}   ", 2);

        using var file = SafetensorsFile.FromBytes(bytes);

        Assert.Equal([2L], file.Tensors["a"].Shape);
    }
}
