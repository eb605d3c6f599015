using S3Router.Core.Errors;

namespace S3Router.Core.Audio;

/// <summary>
/// Audio that cannot be decoded or breaks an <see cref="AudioLimits"/> limit: a corrupt or truncated WAV,
/// an unsupported encoding or bit depth, a bad sample rate, audio too long or too large.
/// Maps to <c>INVALID_ARGUMENT</c> with one field violation (by default on <see cref="AudioFields.Content"/>).
/// </summary>
public sealed class AudioFormatException(string message, string field = AudioFields.Content)
    : InvalidInputException(message, field);
