using S3Router.Core.Errors;

namespace S3Router.InferenceService.Telemetry;

/// <summary>The <c>status</c> label of a failure: the kind of error, as its gRPC status would name it.</summary>
internal static class StatusLabel
{
    public static string Of(Exception e, CancellationToken cancellationToken) => e switch
    {
        OperationCanceledException when cancellationToken.IsCancellationRequested => "cancelled",
        ResourceExhaustedException => "resource_exhausted",
        NotFoundException => "not_found",
        InvalidInputException => "invalid_argument",
        FailedPreconditionException => "failed_precondition",
        UnavailableException => "unavailable",
        _ => "internal",
    };
}
