namespace S3Router.MaskRegistry.Masks;

/// <summary>Parses a mask bundle file into what the registry checks and stores. Throws InvalidInputException when it is not a valid bundle.</summary>
internal interface IBundleInspector
{
    /// <summary>Reads and validates the bundle at <paramref name="path"/>.</summary>
    BundleInfo Inspect(string path);
}
