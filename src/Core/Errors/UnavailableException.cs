namespace S3Router.Core.Errors;

/// <summary>Thrown for a dependency that cannot be reached now (an open circuit, a registry that is down); safe to retry. Maps to <c>UNAVAILABLE</c>.</summary>
public sealed class UnavailableException(string message, Exception? innerException = null)
    : S3RouterException(message, innerException);
