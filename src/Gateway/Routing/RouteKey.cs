namespace S3Router.Gateway.Routing;

/// <summary>The hash-ring key of a route, "task/language": the same route always lands on the same pod, which keeps its mask hot.</summary>
internal static class RouteKey
{
    public static string Of(string task, string languageCode) => $"{task}/{languageCode}";

    /// <summary>Key of ListRoutes calls (any healthy pod answers them; the ring just spreads them predictably).</summary>
    public const string ListRoutes = "~list-routes";
}
