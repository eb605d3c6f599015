namespace S3Router.Core.Errors;

/// <summary>Thrown for an operation that does not fit the current state (a bundle for another backbone, a job that already ended). Maps to <c>FAILED_PRECONDITION</c>.</summary>
public sealed class FailedPreconditionException(string message, Exception? innerException = null)
    : S3RouterException(message, innerException);
