namespace S3Router.Core.Errors;

/// <summary>Thrown for a duplicate that may not be created twice. Maps to <c>ALREADY_EXISTS</c>.</summary>
public sealed class AlreadyExistsException(string message, Exception? innerException = null)
    : S3RouterException(message, innerException);
