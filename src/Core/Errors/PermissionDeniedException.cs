namespace S3Router.Core.Errors;

/// <summary>Thrown for a known caller whose role does not allow the operation. Maps to <c>PERMISSION_DENIED</c>.</summary>
public sealed class PermissionDeniedException(string message, Exception? innerException = null)
    : S3RouterException(message, innerException);
