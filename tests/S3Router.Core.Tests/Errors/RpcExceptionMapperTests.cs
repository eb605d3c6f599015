using Google.Rpc;
using Grpc.Core;
using Polly.Timeout;
using S3Router.Core.Errors;

namespace S3Router.Core.Tests.Errors;

public sealed class RpcExceptionMapperTests
{
    public static TheoryData<Exception, StatusCode> Cases => new()
    {
        { new NotFoundException("no route asr/xx"), StatusCode.NotFound },
        { new AlreadyExistsException("alias exists"), StatusCode.AlreadyExists },
        { new FailedPreconditionException("backbone digest differs"), StatusCode.FailedPrecondition },
        { new ResourceExhaustedException("queue full"), StatusCode.ResourceExhausted },
        { new UnavailableException("registry down"), StatusCode.Unavailable },
        { new UnauthenticatedException("missing API key"), StatusCode.Unauthenticated },
        { new PermissionDeniedException("reader cannot publish"), StatusCode.PermissionDenied },
        { new TimeoutRejectedException("too slow"), StatusCode.DeadlineExceeded },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void ToRpcException_TypedError_MapsToItsStatusWithMessage(Exception error, StatusCode expected)
    {
        var rpc = RpcExceptionMapper.ToRpcException(error, callCancelled: false);

        Assert.Equal(expected, rpc.StatusCode);
        Assert.Equal(error.Message, rpc.Status.Detail);
    }

    [Fact]
    public void ToRpcException_InvalidInput_CarriesBadRequestFieldViolations()
    {
        var error = new InvalidInputException("bad config",
            [new FieldViolation("config.sample_rate_hertz", "must be > 0"), new FieldViolation("audio", "empty")]);

        var rpc = RpcExceptionMapper.ToRpcException(error, callCancelled: false);

        Assert.Equal(StatusCode.InvalidArgument, rpc.StatusCode);
        var badRequest = rpc.GetRpcStatus()!.GetDetail<BadRequest>();
        Assert.Equal(["config.sample_rate_hertz", "audio"], badRequest.FieldViolations.Select(v => v.Field));
    }

    [Fact]
    public void ToRpcException_Unexpected_HidesDetailsBehindInternal()
    {
        var rpc = RpcExceptionMapper.ToRpcException(new NullReferenceException("secret path /etc/x"), callCancelled: false);

        Assert.Equal(StatusCode.Internal, rpc.StatusCode);
        Assert.DoesNotContain("secret", rpc.Status.Detail);
    }

    [Fact]
    public void ToRpcException_CancelledByCaller_IsCancelledOtherwiseInternal()
    {
        Assert.Equal(StatusCode.Cancelled, RpcExceptionMapper.ToRpcException(new OperationCanceledException(), callCancelled: true).StatusCode);
        Assert.Equal(StatusCode.Internal, RpcExceptionMapper.ToRpcException(new OperationCanceledException(), callCancelled: false).StatusCode);
    }
}
