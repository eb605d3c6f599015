namespace S3Router.Core.Errors;

/// <summary>Thrown for a missing or unknown API key. Maps to <c>UNAUTHENTICATED</c>.</summary>
public sealed class UnauthenticatedException(string message, Exception? innerException = null)
    : S3RouterException(message, innerException);
