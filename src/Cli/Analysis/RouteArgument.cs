using System.Diagnostics.CodeAnalysis;
using S3Router.Api.V1;

namespace S3Router.Cli.Analysis;

/// <summary>Parses <c>--route task/language[@ref]</c>, e.g. <c>asr/en</c> or <c>asr/de@v3</c>.</summary>
internal static class RouteArgument
{
    public static bool TryParse(string text, string defaultRef, [NotNullWhen(true)] out RouteSelector? route)
    {
        route = null;
        var at = text.IndexOf('@');
        var (name, reference) = at < 0 ? (text, defaultRef) : (text[..at], text[(at + 1)..]);
        var slash = name.IndexOf('/');
        if (slash <= 0 || slash == name.Length - 1 || name.IndexOf('/', slash + 1) >= 0 || (at >= 0 && reference.Length == 0))
        {
            return false;
        }

        route = new RouteSelector { Task = name[..slash], LanguageCode = name[(slash + 1)..], MaskRef = reference };
        return true;
    }
}
