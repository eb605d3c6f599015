using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace S3Router.Core.Telemetry;

internal static partial class Log
{
    [LoggerMessage(EventId = 1000, Level = LogLevel.Error, Message = "Unhandled error in {Method}")]
    public static partial void UnhandledError(ILogger logger, string method, Exception exception);

    [LoggerMessage(EventId = 1001, Level = LogLevel.Information, Message = "Call {Method} was cancelled by its caller")]
    public static partial void CallCancelled(ILogger logger, string method);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Information, Message = "Call {Method} failed with {Status}: {Reason}")]
    public static partial void CallFailed(ILogger logger, string method, StatusCode status, string reason);
}
