namespace S3Router.Core.Errors;

/// <summary>Thrown for a full queue or an exceeded quota; the caller should back off. Maps to <c>RESOURCE_EXHAUSTED</c>.</summary>
public sealed class ResourceExhaustedException(string message, Exception? innerException = null)
    : S3RouterException(message, innerException);
