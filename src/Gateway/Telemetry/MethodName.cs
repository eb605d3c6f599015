using Grpc.Core;

namespace S3Router.Gateway.Telemetry;

/// <summary>The short gRPC method name ("Recognize") of a call, for role tables and metric labels.</summary>
internal static class MethodName
{
    public static string Of(ServerCallContext context) => context.Method[(context.Method.LastIndexOf('/') + 1)..];
}
