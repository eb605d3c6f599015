using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;
using Polly.CircuitBreaker;
using Polly.Timeout;

namespace S3Router.Core.Errors;

/// <summary>Maps typed Core exceptions (and the few framework ones that mean something) to gRPC statuses.</summary>
public static class RpcExceptionMapper
{
    /// <summary>The message sent for unexpected failures; details stay in the server log.</summary>
    public const string InternalMessage = "Internal error; the server log has the details.";

    /// <summary>
    /// Builds the <see cref="RpcException"/> for <paramref name="exception"/>.
    /// <paramref name="callCancelled"/> tells whether the call's own token fired (deadline or client gone).
    /// </summary>
    public static RpcException ToRpcException(Exception exception, bool callCancelled) => exception switch
    {
        RpcException rpc => rpc,
        InvalidInputException invalid => InvalidArgument(invalid),
        NotFoundException => Plain(StatusCode.NotFound, exception.Message),
        AlreadyExistsException => Plain(StatusCode.AlreadyExists, exception.Message),
        FailedPreconditionException => Plain(StatusCode.FailedPrecondition, exception.Message),
        ResourceExhaustedException => Plain(StatusCode.ResourceExhausted, exception.Message),
        UnavailableException or BrokenCircuitException => Plain(StatusCode.Unavailable, exception.Message),
        UnauthenticatedException => Plain(StatusCode.Unauthenticated, exception.Message),
        PermissionDeniedException => Plain(StatusCode.PermissionDenied, exception.Message),
        TimeoutRejectedException => Plain(StatusCode.DeadlineExceeded, exception.Message),
        OperationCanceledException when callCancelled => Plain(StatusCode.Cancelled, "The call was cancelled."),
        _ => Plain(StatusCode.Internal, InternalMessage),
    };

    private static RpcException Plain(StatusCode code, string message) => new(new Grpc.Core.Status(code, message));

    private static RpcException InvalidArgument(InvalidInputException ex)
    {
        var badRequest = new BadRequest();
        foreach (var v in ex.Violations)
        {
            badRequest.FieldViolations.Add(new BadRequest.Types.FieldViolation { Field = v.Field, Description = v.Description });
        }
        var status = new Google.Rpc.Status
        {
            Code = (int)Code.InvalidArgument,
            Message = ex.Message,
            Details = { Any.Pack(badRequest) },
        };
        return status.ToRpcException();
    }
}
