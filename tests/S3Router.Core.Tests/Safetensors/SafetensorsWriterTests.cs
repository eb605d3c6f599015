using System.Buffers.Binary;
using System.Text;
using S3Router.Core.Errors;
using S3Router.Core.Safetensors;

namespace S3Router.Core.Tests.Safetensors;

public sealed class SafetensorsWriterTests
{
    public static TheoryData<SafetensorsDtype, long[]> DtypesAndShapes()
    {
        var data = new TheoryData<SafetensorsDtype, long[]>();
        foreach (var dtype in Enum.GetValues<SafetensorsDtype>())
        {
            data.Add(dtype, [2, 3]);
            data.Add(dtype, []);
            data.Add(dtype, [0]);
            data.Add(dtype, [4, 0, 5]);
            data.Add(dtype, [7]);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(DtypesAndShapes))]
    public void ToArray_EveryDtypeAndShape_RoundTripsBytesAndInfo(SafetensorsDtype dtype, long[] shape)
    {
        var numel = shape.Aggregate(1L, (a, b) => a * b);
        var data = new byte[numel * dtype.SizeInBytes()];
        new Random(42).NextBytes(data);
        var bytes = new SafetensorsWriter()
            .Add("t", dtype, shape, data)
            .Add("other", SafetensorsDtype.U8, [3], [1, 2, 3])
            .ToArray();

        using var file = SafetensorsFile.FromBytes(bytes);

        var info = file.Tensors["t"];
        Assert.Equal(dtype, info.Dtype);
        Assert.Equal(shape, info.Shape);
        Assert.Equal(numel, info.ElementCount);
        Assert.Equal(data, file.GetBytes("t").ToArray());
        Assert.Equal(new byte[] { 1, 2, 3 }, file.GetBytes("other").ToArray());
    }

    [Fact]
    public void ToArray_Metadata_RoundTrips()
    {
        var bytes = new SafetensorsWriter()
            .SetMetadata("format", "pt")
            .SetMetadata("json", "{\"a\": [1, \"é\"]}")
            .SetMetadata("empty", "")
            .AddFloat32("w", [2], [1f, 2f])
            .ToArray();

        using var file = SafetensorsFile.FromBytes(bytes);

        Assert.Equal(3, file.Metadata.Count);
        Assert.Equal("pt", file.Metadata["format"]);
        Assert.Equal("{\"a\": [1, \"é\"]}", file.Metadata["json"]);
        Assert.Equal("", file.Metadata["empty"]);
    }

    [Fact]
    public void ToArray_NoTensors_IsAValidEmptyFile()
    {
        var bytes = new SafetensorsWriter().ToArray();

        using var file = SafetensorsFile.FromBytes(bytes);

        Assert.Empty(file.Tensors);
        Assert.Empty(file.Metadata);
    }

    [Fact]
    public void ToArray_DifferentInsertionOrder_GivesIdenticalBytes()
    {
        var a = new SafetensorsWriter().AddFloat32("b", [1], [2f]).SetMetadata("y", "2").SetMetadata("x", "1")
            .AddFloat32("a", [1], [1f]).ToArray();
        var b = new SafetensorsWriter().SetMetadata("x", "1").AddFloat32("a", [1], [1f]).SetMetadata("y", "2")
            .AddFloat32("b", [1], [2f]).ToArray();

        Assert.Equal(a, b);
    }

    [Fact]
    public void ToArray_Header_IsPaddedWithSpacesTo8BytesAndSortedByName()
    {
        var bytes = new SafetensorsWriter().Add("zeta", SafetensorsDtype.U8, [1], [9]).AddFloat32("alpha", [1], [1f]).ToArray();

        var headerLength = (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        var header = Encoding.UTF8.GetString(bytes, 8, headerLength);

        Assert.Equal(0, headerLength % 8);
        Assert.Equal(
            "{\"alpha\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"zeta\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[4,5]}}",
            header.TrimEnd(' '));
        Assert.Equal(new byte[] { 0, 0, 0x80, 0x3f, 9 }, bytes[(8 + headerLength)..]);
    }

    [Fact]
    public void Add_DuplicateName_ThrowsInvalidInput()
    {
        var writer = new SafetensorsWriter().AddFloat32("w", [1], [1f]);

        var error = Assert.Throws<InvalidInputException>(() => writer.AddFloat32("w", [1], [2f]));

        Assert.Contains("'w'", error.Message);
    }

    [Theory]
    [InlineData("")]
    [InlineData("__metadata__")]
    public void Add_ReservedOrEmptyName_ThrowsInvalidInput(string name)
    {
        Assert.Throws<InvalidInputException>(() => new SafetensorsWriter().AddFloat32(name, [1], [1f]));
    }

    [Fact]
    public void Add_ByteLengthNotMatchingShape_ThrowsInvalidInputNamingTensor()
    {
        var error = Assert.Throws<InvalidInputException>(
            () => new SafetensorsWriter().Add("w", SafetensorsDtype.F16, [3], new byte[5]));

        Assert.Contains("'w'", error.Message);
        Assert.Contains("needs 6 bytes, got 5", error.Message);
    }

    [Fact]
    public void Add_NegativeDimension_ThrowsInvalidInput()
    {
        Assert.Throws<InvalidInputException>(() => new SafetensorsWriter().Add("w", SafetensorsDtype.U8, [-1], []));
    }

    [Fact]
    public void Add_HugeShape_ThrowsInvalidInputInsteadOfOverflow()
    {
        Assert.Throws<InvalidInputException>(
            () => new SafetensorsWriter().Add("w", SafetensorsDtype.F64, [long.MaxValue / 2, 4], []));
    }
}
