using System.Globalization;
using System.Text.RegularExpressions;
using S3Router.Core.Errors;

namespace S3Router.MaskRegistry.Masks;

/// <summary>
/// Validation of everything a caller names: tasks, languages, aliases, refs, digests. Anything that reaches the
/// file system is a digest checked here, so no name can smuggle a path.
/// </summary>
internal static partial class RegistryNames
{
    public const string DigestPrefix = "sha256:";

    /// <summary>Throws one InvalidInputException listing every violation, or returns when there is none.</summary>
    public static void ThrowIfAny(List<FieldViolation> violations)
    {
        if (violations.Count > 0)
        {
            throw new InvalidInputException(string.Join("; ", violations.Select(v => $"{v.Field}: {v.Description}")), violations);
        }
    }

    public static void CheckTask(string? task, string field, List<FieldViolation> violations)
    {
        if (string.IsNullOrEmpty(task))
        {
            violations.Add(new(field, "is required: a lowercase identifier such as \"asr\" or \"speaker\""));
        }
        else if (!TaskPattern().IsMatch(task))
        {
            violations.Add(new(field, $"\"{Shorten(task)}\" is not a task: use a lowercase identifier (a-z, 0-9, '_', starting with a letter, at most 64 characters)"));
        }
    }

    public static void CheckLanguage(string? language, string field, List<FieldViolation> violations)
    {
        if (string.IsNullOrEmpty(language))
        {
            violations.Add(new(field, "is required: a BCP-47 tag such as \"en\" or \"de-DE\", or \"und\""));
        }
        else if (!LanguagePattern().IsMatch(language))
        {
            violations.Add(new(field, $"\"{Shorten(language)}\" is not a BCP-47 language tag (e.g. \"en\", \"de-DE\", \"cmn-Hans\") or \"und\""));
        }
    }

    public static void CheckAlias(string? alias, string field, List<FieldViolation> violations)
    {
        if (string.IsNullOrEmpty(alias))
        {
            violations.Add(new(field, "is required"));
        }
        else if (!AliasPattern().IsMatch(alias) || VersionPattern().IsMatch(alias))
        {
            violations.Add(new(field, $"\"{Shorten(alias)}\" is not an alias name: letters, digits, '_' and '-', starting with a letter, at most 64 characters, and not a version like \"v12\""));
        }
    }

    public static void CheckDigest(string? digest, string field, List<FieldViolation> violations, bool required = true)
    {
        if (string.IsNullOrEmpty(digest))
        {
            if (required)
            {
                violations.Add(new(field, "is required: \"sha256:\" followed by 64 lowercase hex digits"));
            }
        }
        else if (!IsDigest(digest))
        {
            violations.Add(new(field, $"\"{Shorten(digest)}\" is not a digest: \"sha256:\" followed by 64 lowercase hex digits"));
        }
    }

    public static void CheckBackboneName(string? name, string field, List<FieldViolation> violations)
    {
        if (string.IsNullOrEmpty(name) || !BackboneNamePattern().IsMatch(name))
        {
            violations.Add(new(field, "must be 1 to 128 letters, digits, '.', '_' or '-'"));
        }
    }

    public static bool IsDigest(string? value) => value is not null && DigestPattern().IsMatch(value);

    /// <summary>Parses a ref: "" means the production alias, "v12"/"12" a version, "sha256:..." a digest, anything else an alias.</summary>
    public static MaskRef ParseRef(string? value, string field, List<FieldViolation> violations)
    {
        if (string.IsNullOrEmpty(value))
        {
            return MaskRef.ForAlias(MaskRef.DefaultAlias);
        }
        if (value.StartsWith(DigestPrefix, StringComparison.Ordinal))
        {
            CheckDigest(value, field, violations);
            return MaskRef.ForDigest(value);
        }
        if (VersionPattern().IsMatch(value))
        {
            var digits = value.TrimStart('v');
            if (!long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var version) || version < 1)
            {
                violations.Add(new(field, $"\"{Shorten(value)}\" is not a valid version: versions start at 1"));
                return MaskRef.ForVersion(1);
            }
            return MaskRef.ForVersion(version);
        }
        CheckAlias(value, field, violations);
        return MaskRef.ForAlias(value);
    }

    private static string Shorten(string value) => value.Length <= 80 ? value : string.Concat(value.AsSpan(0, 80), "...");

    [GeneratedRegex("^[a-z][a-z0-9_]{0,63}$")]
    private static partial Regex TaskPattern();

    [GeneratedRegex("^[a-z]{2,3}(-[A-Za-z0-9]{2,8}){0,4}$")]
    private static partial Regex LanguagePattern();

    [GeneratedRegex("^[A-Za-z][A-Za-z0-9_-]{0,63}$")]
    private static partial Regex AliasPattern();

    [GeneratedRegex("^v?[0-9]+$")]
    private static partial Regex VersionPattern();

    [GeneratedRegex("^sha256:[0-9a-f]{64}$")]
    private static partial Regex DigestPattern();

    [GeneratedRegex("^[A-Za-z0-9._-]{1,128}$")]
    private static partial Regex BackboneNamePattern();
}
