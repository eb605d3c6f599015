namespace S3Router.Core.Errors;

/// <summary>
/// Base of every typed domain error. <see cref="ExceptionInterceptor"/> maps each subclass to one gRPC status code,
/// so domain code throws these and never builds <c>RpcException</c>s itself.
/// </summary>
public abstract class S3RouterException(string message, Exception? innerException = null)
    : Exception(message, innerException);
