namespace S3Router.TrainingService.Model;

/// <summary>A hard 0/1 mask of one weight tensor, row-major, true = kept.</summary>
/// <param name="Shape">Shape of the masked weight, e.g. [3072, 768].</param>
/// <param name="Keep">One value per weight element.</param>
public sealed record ExportedMask(long[] Shape, bool[] Keep)
{
    /// <summary>Fraction of elements kept.</summary>
    public double KeepRatio => Keep.Length == 0 ? 0 : (double)Keep.Count(k => k) / Keep.Length;

    /// <summary>The mask as 0/1 bytes, one per element.</summary>
    public byte[] ToBytes() => Keep.Select(k => k ? (byte)1 : (byte)0).ToArray();
}
