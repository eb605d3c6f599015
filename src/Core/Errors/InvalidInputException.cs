namespace S3Router.Core.Errors;

/// <summary>
/// Bad input from the caller: a request field, audio bytes, a config file or an artifact.
/// Maps to <c>INVALID_ARGUMENT</c> with a <c>google.rpc.BadRequest</c> listing the field violations.
/// </summary>
public class InvalidInputException : S3RouterException
{
    /// <summary>Creates the error for one field (or for the input as a whole when <paramref name="field"/> is null).</summary>
    public InvalidInputException(string message, string? field = null, Exception? innerException = null)
        : base(message, innerException)
    {
        Violations = field is null ? [] : [new FieldViolation(field, message)];
    }

    /// <summary>Creates the error for several fields at once, so a caller can fix them all in one go.</summary>
    public InvalidInputException(string message, IReadOnlyList<FieldViolation> violations)
        : base(message)
    {
        Violations = violations;
    }

    /// <summary>The fields that are wrong; empty when the input is wrong as a whole.</summary>
    public IReadOnlyList<FieldViolation> Violations { get; }

    /// <summary>
    /// Throws one error for all of <paramref name="violations"/>, its message <paramref name="messagePrefix"/> followed by
    /// "field: description" pairs joined with "; ", or returns when there are none.
    /// </summary>
    public static void ThrowIfAny(IReadOnlyList<FieldViolation> violations, string messagePrefix = "")
    {
        if (violations.Count > 0)
        {
            throw new InvalidInputException(messagePrefix + string.Join("; ", violations.Select(v => $"{v.Field}: {v.Description}")), violations);
        }
    }
}
