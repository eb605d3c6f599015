using S3Router.InferenceService.Onnx;

namespace S3Router.InferenceService.Tests.Onnx;

public sealed class ExactArrayPoolTests
{
    [Fact]
    public void Rent_AfterReturnOfTheSameLength_ReusesTheArray()
    {
        // Arrange
        var pool = new ExactArrayPool<float>(1024);
        var first = pool.Rent(10);
        pool.Return(first);

        // Act
        var other = pool.Rent(11);
        var again = pool.Rent(10);

        // Assert
        Assert.Equal(11, other.Length);
        Assert.Same(first, again);
        Assert.Equal(0, pool.RetainedBytes);
    }

    [Fact]
    public void Return_BeyondCapacity_DropsTheOldestArrays()
    {
        // Arrange: room for two arrays of 100 bytes.
        var pool = new ExactArrayPool<byte>(250);
        var a = pool.Rent(100);
        var b = pool.Rent(100);
        var c = pool.Rent(100);

        // Act
        pool.Return(a);
        pool.Return(b);
        pool.Return(c);
        pool.Return(new byte[300]); // larger than the whole pool: not kept

        // Assert
        Assert.Equal(200, pool.RetainedBytes);
        var rented = new[] { pool.Rent(100), pool.Rent(100), pool.Rent(100) };
        Assert.DoesNotContain(rented, r => ReferenceEquals(r, a));
        Assert.Contains(rented, r => ReferenceEquals(r, b));
        Assert.Contains(rented, r => ReferenceEquals(r, c));
    }

    [Fact]
    public void Clear_AfterReturns_NothingRetainedAndTheNextRentAllocatesAnew()
    {
        // Arrange
        var pool = new ExactArrayPool<float>(1024);
        var first = pool.Rent(10);
        pool.Return(first);
        pool.Return(pool.Rent(20));

        // Act
        var dropped = pool.Clear();
        var next = pool.Rent(10);

        // Assert
        Assert.Equal(30 * sizeof(float), dropped);
        Assert.Equal(0, pool.RetainedBytes);
        Assert.NotSame(first, next);
    }
}
