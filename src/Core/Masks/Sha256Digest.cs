using System.Security.Cryptography;
using S3Router.Core.Errors;

namespace S3Router.Core.Masks;

/// <summary>
/// SHA-256 content digests as 64 lowercase hex characters: the identity of a backbone (its <c>model.safetensors</c>)
/// and of a mask bundle file.
/// </summary>
public static class Sha256Digest
{
    /// <summary>Length of a digest in hex characters (64).</summary>
    public const int HexLength = 64;

    /// <summary>Digest of <paramref name="bytes"/>.</summary>
    public static string Of(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    /// <summary>Digest of the rest of <paramref name="stream"/>, read in chunks.</summary>
    public static string Of(Stream stream) => Convert.ToHexStringLower(SHA256.HashData(stream));

    /// <summary>Digest of the file at <paramref name="path"/>, read in chunks (a 1.2 GB backbone is never held in memory).</summary>
    /// <exception cref="NotFoundException">The file does not exist.</exception>
    public static async Task<string> OfFileAsync(string path, CancellationToken cancellationToken = default)
    {
        await using var stream = OpenRead(path);
        return Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, cancellationToken));
    }

    /// <summary>Digest of the file at <paramref name="path"/>.</summary>
    /// <exception cref="NotFoundException">The file does not exist.</exception>
    public static string OfFile(string path)
    {
        using var stream = OpenRead(path);
        return Of(stream);
    }

    /// <summary>Whether <paramref name="digest"/> is 64 lowercase hex characters.</summary>
    public static bool IsValid(string? digest) =>
        digest is { Length: HexLength } && digest.All(c => char.IsAsciiDigit(c) || c is >= 'a' and <= 'f');

    private static FileStream OpenRead(string path)
    {
        try
        {
            return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.SequentialScan);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new NotFoundException($"file '{path}' does not exist", e);
        }
    }
}
