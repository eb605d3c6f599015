namespace S3Router.MaskRegistry.Masks;

/// <summary>A parsed mask ref: exactly one of an alias, a version number or a digest.</summary>
internal readonly record struct MaskRef(string? Alias, long Version, string? Digest)
{
    /// <summary>The alias an empty ref means.</summary>
    public const string DefaultAlias = "production";

    public static MaskRef ForAlias(string alias) => new(alias, 0, null);

    public static MaskRef ForVersion(long version) => new(null, version, null);

    public static MaskRef ForDigest(string digest) => new(null, 0, digest);

    public override string ToString() => Alias ?? Digest ?? $"v{Version}";
}
