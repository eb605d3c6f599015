using S3Router.Core.Errors;
using S3Router.Core.Tensors;
using S3Router.Testing;

namespace S3Router.Core.Tests.Tensors;

public sealed class NpyFileTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Write_ThenRead_RoundTripsEachDtype()
    {
        // Arrange
        var f32 = _temp.Combine("f32.npy");
        var f64 = _temp.Combine("f64.npy");
        var i64 = _temp.Combine("i64.npy");

        // Act
        NpyFile.Write(f32, [1.5f, -2f, 3f, 0.25f, 5f, 6f], [2, 3]);
        NpyFile.Write(f64, [Math.PI, -1e300], [2]);
        NpyFile.Write(i64, [long.MinValue, 7L, long.MaxValue], [3, 1]);

        // Assert
        Assert.Equal(new NpyArray<float>([1.5f, -2f, 3f, 0.25f, 5f, 6f], [2, 3]).Data, NpyFile.ReadFloat32(f32).Data);
        Assert.Equal([2L, 3L], NpyFile.ReadFloat32(f32).Shape);
        Assert.Equal([Math.PI, -1e300], NpyFile.ReadFloat64(f64).Data);
        Assert.Equal([long.MinValue, 7L, long.MaxValue], NpyFile.ReadInt64(i64).Data);
        Assert.Equal([3L, 1L], NpyFile.ReadInt64(i64).Shape);
    }

    [Fact]
    public void Write_Matrix_DataStartsAlignedTo64Bytes()
    {
        // Arrange
        var path = _temp.Combine("m.npy");

        // Act
        NpyFile.Write(path, new float[,] { { 1, 2 }, { 3, 4 }, { 5, 6 } });

        // Assert
        var bytes = File.ReadAllBytes(path);
        Assert.Equal(0, (bytes.Length - (6 * sizeof(float))) % 64);
        Assert.Equal((byte)'\n', bytes[^(6 * sizeof(float) + 1)]);
        Assert.Equal(new float[,] { { 1, 2 }, { 3, 4 }, { 5, 6 } }, NpyFile.ReadFloat32(path).ToMatrix());
    }

    [Fact]
    public void Write_ReadByNumpy_SameValuesShapesAndDtypes()
    {
        // Arrange
        NpyFile.Write(_temp.Combine("a.npy"), [1f, 2f, 3f, 4f, 5f, 6f], [3, 2]);
        NpyFile.Write(_temp.Combine("b.npy"), [0.1], []);
        NpyFile.Write(_temp.Combine("c.npy"), ReadOnlySpan<long>.Empty, [0, 4]);

        // Act
        var output = Python.Run("-c", """
            import sys, numpy as np
            d = sys.argv[1]
            a, b, c = (np.load(f"{d}/{n}.npy") for n in "abc")
            assert a.dtype == np.float32 and a.shape == (3, 2) and a.tolist() == [[1, 2], [3, 4], [5, 6]], a
            assert b.dtype == np.float64 and b.shape == () and float(b) == 0.1, b
            assert c.dtype == np.int64 and c.shape == (0, 4), c
            print("ok")
            """, _temp.Path);

        // Assert
        Assert.Equal("ok", output.Trim());
    }

    [Fact]
    public void Read_WrittenByNumpy_ReadsVersion1And2Headers()
    {
        // Arrange: numpy writes version 2.0 only when forced.
        Python.Run("-c", """
            import sys, numpy as np
            d = sys.argv[1]
            np.save(f"{d}/v1.npy", np.arange(12, dtype=np.float32).reshape(2, 3, 2) / 4)
            np.save(f"{d}/i.npy", np.array([5, -6], dtype=np.int64))
            with open(f"{d}/v2.npy", "wb") as f:
                np.lib.format.write_array(f, np.array([[1.25, 2.5]]), version=(2, 0))
            """, _temp.Path);

        // Act
        var v1 = NpyFile.ReadFloat32(_temp.Combine("v1.npy"));
        var v2 = NpyFile.ReadFloat64(_temp.Combine("v2.npy"));
        var ints = NpyFile.ReadInt64(_temp.Combine("i.npy"));

        // Assert
        Assert.Equal([2L, 3L, 2L], v1.Shape);
        Assert.Equal(Enumerable.Range(0, 12).Select(i => i / 4f), v1.Data);
        Assert.Equal([1L, 2L], v2.Shape);
        Assert.Equal([1.25, 2.5], v2.Data);
        Assert.Equal([5L, -6L], ints.Data);
        Assert.Equal("<f8", NpyFile.ReadHeader(_temp.Combine("v2.npy")).Descr);
    }

    [Fact]
    public void Read_OtherDtype_ThrowsInvalidInputNamingBoth()
    {
        // Arrange
        var path = _temp.Combine("f64.npy");
        NpyFile.Write(path, [1.0], [1]);

        // Act
        var error = Assert.Throws<InvalidInputException>(() => NpyFile.ReadFloat32(path));

        // Assert
        Assert.Contains("'<f8'; expected '<f4'", error.Message);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(9)]
    [InlineData(60)]
    [InlineData(100)]
    public void Read_Truncated_ThrowsInvalidInput(int keep)
    {
        // Arrange
        var path = _temp.Combine("t.npy");
        NpyFile.Write(path, new float[16], [4, 4]);
        File.WriteAllBytes(path, File.ReadAllBytes(path)[..keep]);

        // Act + Assert
        Assert.ThrowsAny<InvalidInputException>(() => NpyFile.ReadFloat32(path));
    }

    [Fact]
    public void Read_FortranOrder_ThrowsInvalidInput()
    {
        // Arrange
        var path = _temp.Combine("f.npy");
        Python.Run("-c", "import sys, numpy as np; np.save(sys.argv[1], np.asfortranarray(np.ones((2, 3), dtype=np.float32)))", path);

        // Act
        var error = Assert.Throws<InvalidInputException>(() => NpyFile.ReadFloat32(path));

        // Assert
        Assert.Contains("Fortran order", error.Message);
    }

    [Fact]
    public void Read_MissingFile_ThrowsNotFound()
    {
        Assert.Throws<NotFoundException>(() => NpyFile.ReadFloat32(_temp.Combine("missing.npy")));
    }

    [Fact]
    public void Write_ShapeNotMatchingData_ThrowsInvalidInput()
    {
        var error = Assert.Throws<InvalidInputException>(() => NpyFile.Write(_temp.Combine("x.npy"), [1f, 2f, 3f], [2, 2]));

        Assert.Contains("needs 4 elements; the data has 3", error.Message);
    }
}
