namespace S3Router.Core.Errors;

/// <summary>Thrown for an unknown route, version, backbone or job. Maps to <c>NOT_FOUND</c>.</summary>
public sealed class NotFoundException(string message, Exception? innerException = null)
    : S3RouterException(message, innerException);
