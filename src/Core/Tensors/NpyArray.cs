namespace S3Router.Core.Tensors;

/// <summary>A dense array read from or written to a NumPy <c>.npy</c> file: row-major (C order) data and its shape.</summary>
/// <typeparam name="T"><see cref="float"/>, <see cref="double"/> or <see cref="long"/>.</typeparam>
/// <param name="Data">The elements in C order; its length is the product of <paramref name="Shape"/> (1 for a scalar).</param>
/// <param name="Shape">The dimensions; empty for a 0-d array.</param>
public sealed record NpyArray<T>(T[] Data, long[] Shape)
    where T : unmanaged
{
    /// <summary>The array as a matrix; throws <see cref="Errors.InvalidInputException"/> unless it is 2-d.</summary>
    public T[,] ToMatrix()
    {
        if (Shape.Length != 2)
        {
            throw new Errors.InvalidInputException($"Expected a 2-d array; found shape ({string.Join(", ", Shape)}).", "shape");
        }

        var matrix = new T[Shape[0], Shape[1]];
        if (Data.Length > 0)
        {
            Data.AsSpan().CopyTo(System.Runtime.InteropServices.MemoryMarshal.CreateSpan(ref matrix[0, 0], Data.Length));
        }

        return matrix;
    }
}
