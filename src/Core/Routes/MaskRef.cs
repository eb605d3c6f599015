namespace S3Router.Core.Routes;

/// <summary>
/// A parsed mask ref (see <see cref="RouteNames.ParseMaskRef"/>): exactly one of an alias, a version number (1 or
/// more; 0 when the ref is not a version) or a digest (<c>sha256:</c> + 64 lowercase hex digits).
/// </summary>
public readonly record struct MaskRef(string? Alias, long Version, string? Digest)
{
    /// <summary>The alias an empty ref means: <c>production</c>.</summary>
    public const string DefaultAlias = "production";

    /// <summary>A ref to the version an alias points at.</summary>
    public static MaskRef ForAlias(string alias) => new(alias, 0, null);

    /// <summary>A ref to one numbered version.</summary>
    public static MaskRef ForVersion(long version) => new(null, version, null);

    /// <summary>A ref to the version with this content digest (<c>sha256:...</c>).</summary>
    public static MaskRef ForDigest(string digest) => new(null, 0, digest);

    /// <inheritdoc/>
    public override string ToString() => Alias ?? Digest ?? $"v{Version}";
}
