using S3Router.Core.Errors;

namespace S3Router.Core.Safetensors;

/// <summary>
/// A safetensors file (or bytes) that does not follow the format: bad header length, bad JSON, unknown dtype,
/// inconsistent shape or offsets. The message names the tensor (when one is at fault) and what is wrong.
/// Maps to <c>INVALID_ARGUMENT</c>.
/// </summary>
public sealed class SafetensorsFormatException(string message, string? tensorName = null, Exception? innerException = null)
    : InvalidInputException(message, tensorName, innerException)
{
    /// <summary>The tensor at fault, or null when the file is wrong as a whole.</summary>
    public string? TensorName { get; } = tensorName;
}
