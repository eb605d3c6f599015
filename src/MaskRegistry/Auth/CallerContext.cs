using Grpc.Core;

namespace S3Router.MaskRegistry.Auth;

/// <summary>Who is calling, as established by <see cref="ApiKeyInterceptor"/>.</summary>
internal static class CallerContext
{
    public const string Anonymous = "anonymous";
    private const string Key = "s3r.caller";

    public static void Set(ServerCallContext context, string name) => context.UserState[Key] = name;

    /// <summary>The caller's key name, or "anonymous".</summary>
    public static string NameOf(ServerCallContext context) =>
        context.UserState.TryGetValue(Key, out var name) && name is string s ? s : Anonymous;
}
