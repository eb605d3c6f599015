using System.Globalization;
using System.Text.RegularExpressions;
using S3Router.Core.Errors;

namespace S3Router.Core.Routes;

/// <summary>
/// The one set of rules for the names a route is addressed by, shared by the Gateway, the InferenceService, the
/// MaskRegistry and the TrainingService so that every name one accepts is accepted by the others:
/// <list type="bullet">
/// <item>task: a lowercase identifier, <c>a-z</c>, <c>0-9</c>, <c>_</c>, starting with a letter, 1 to 64 characters (<c>asr</c>, <c>speaker</c>);</item>
/// <item>language: a BCP-47 style tag, 2 or 3 lowercase letters then up to 4 <c>-subtags</c> of 2 to 8 letters or digits (<c>en</c>, <c>de-DE</c>, <c>cmn-Hans</c>), or <c>und</c>;</item>
/// <item>alias: letters, digits, <c>_</c> and <c>-</c>, starting with a letter, 1 to 64 characters, and not shaped like a version (<c>v12</c>);</item>
/// <item>mask ref: empty (the <c>production</c> alias), an alias, a version (<c>v12</c> or <c>12</c>, 1 or more) or a digest (<c>sha256:</c> + 64 lowercase hex digits).</item>
/// </list>
/// The <c>Check*</c> methods add one <see cref="FieldViolation"/> per broken rule, always with the same wording,
/// under the field path the caller gives. Patterns end in <c>\z</c>, so no trailing newline slips through.
/// </summary>
public static partial class RouteNames
{
    /// <summary>The prefix of a content digest: <c>sha256:</c>.</summary>
    public const string DigestPrefix = "sha256:";

    /// <summary>The language of a language-independent route (e.g. <c>speaker/und</c>): <c>und</c>, BCP-47 "undetermined".</summary>
    public const string NoLanguage = "und";

    /// <summary>Longest task or alias, in characters (64).</summary>
    public const int MaxNameLength = 64;

    /// <summary>Whether <paramref name="value"/> is a task name such as <c>asr</c>.</summary>
    public static bool IsTask(string? value) => value is not null && TaskPattern().IsMatch(value);

    /// <summary>Whether <paramref name="value"/> is a language tag such as <c>en</c>, <c>de-DE</c> or <c>und</c>.</summary>
    public static bool IsLanguage(string? value) => value is not null && LanguagePattern().IsMatch(value);

    /// <summary>Whether <paramref name="value"/> is an alias name such as <c>production</c> (and not a version like <c>v12</c>).</summary>
    public static bool IsAlias(string? value) => value is not null && AliasPattern().IsMatch(value) && !VersionPattern().IsMatch(value);

    /// <summary>Whether <paramref name="value"/> is a content digest: <c>sha256:</c> followed by 64 lowercase hex digits.</summary>
    public static bool IsDigest(string? value) => value is not null && DigestPattern().IsMatch(value);

    /// <summary>Adds a violation at <paramref name="field"/> unless <paramref name="task"/> is a task name (empty is a violation).</summary>
    public static void CheckTask(string? task, string field, List<FieldViolation> violations)
    {
        if (string.IsNullOrEmpty(task))
        {
            violations.Add(new(field, "is required: a lowercase identifier such as \"asr\", \"speaker\" or \"intent\""));
        }
        else if (!IsTask(task))
        {
            violations.Add(new(field, $"\"{Shorten(task)}\" is not a task: use a lowercase identifier (a-z, 0-9, '_', starting with a letter, at most 64 characters)"));
        }
    }

    /// <summary>Adds a violation at <paramref name="field"/> unless <paramref name="language"/> is a language tag (empty is a violation).</summary>
    public static void CheckLanguage(string? language, string field, List<FieldViolation> violations)
    {
        if (string.IsNullOrEmpty(language))
        {
            violations.Add(new(field, "is required: a BCP-47 tag such as \"en\" or \"de-DE\", or \"und\""));
        }
        else if (!IsLanguage(language))
        {
            violations.Add(new(field, $"\"{Shorten(language)}\" is not a BCP-47 language tag (e.g. \"en\", \"de-DE\", \"cmn-Hans\") or \"und\""));
        }
    }

    /// <summary>Adds a violation at <paramref name="field"/> unless <paramref name="alias"/> is an alias name (empty is a violation).</summary>
    public static void CheckAlias(string? alias, string field, List<FieldViolation> violations)
    {
        if (string.IsNullOrEmpty(alias))
        {
            violations.Add(new(field, "is required: an alias name such as \"production\" or \"canary\""));
        }
        else if (!IsAlias(alias))
        {
            violations.Add(new(field, $"\"{Shorten(alias)}\" is not an alias name: letters, digits, '_' and '-', starting with a letter, at most 64 characters, and not a version like \"v12\""));
        }
    }

    /// <summary>
    /// Adds a violation at <paramref name="field"/> unless <paramref name="digest"/> is a content digest; an empty
    /// digest is a violation only when <paramref name="required"/> (default: true).
    /// </summary>
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

    /// <summary>
    /// Parses a mask ref: empty means the <see cref="MaskRef.DefaultAlias"/> alias, <c>v12</c> or <c>12</c> a version,
    /// <c>sha256:...</c> a digest, anything else an alias. A malformed ref adds one violation at <paramref name="field"/>;
    /// the returned value is then of the kind the ref looked like, and must not be used.
    /// </summary>
    public static MaskRef ParseMaskRef(string? value, string field, List<FieldViolation> violations)
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
            if (!long.TryParse(value.AsSpan().TrimStart('v'), NumberStyles.None, CultureInfo.InvariantCulture, out var version) || version < 1)
            {
                violations.Add(new(field, $"\"{Shorten(value)}\" is not a valid version: versions start at 1"));
                return MaskRef.ForVersion(1);
            }
            return MaskRef.ForVersion(version);
        }
        if (!AliasPattern().IsMatch(value))
        {
            violations.Add(new(field, $"\"{Shorten(value)}\" is not a mask ref: use an alias (\"production\", \"canary\"), a version (\"v12\" or \"12\") or a digest (\"sha256:<64 hex>\")"));
        }
        return MaskRef.ForAlias(value);
    }

    // Keeps messages readable when a caller sends a megabyte of name.
    private static string Shorten(string value) => value.Length <= 80 ? value : string.Concat(value.AsSpan(0, 80), "...");

    [GeneratedRegex(@"^[a-z][a-z0-9_]{0,63}\z")]
    private static partial Regex TaskPattern();

    [GeneratedRegex(@"^[a-z]{2,3}(-[A-Za-z0-9]{2,8}){0,4}\z")]
    private static partial Regex LanguagePattern();

    [GeneratedRegex(@"^[A-Za-z][A-Za-z0-9_-]{0,63}\z")]
    private static partial Regex AliasPattern();

    [GeneratedRegex(@"^v?[0-9]+\z")]
    private static partial Regex VersionPattern();

    [GeneratedRegex(@"^sha256:[0-9a-f]{64}\z")]
    private static partial Regex DigestPattern();
}
