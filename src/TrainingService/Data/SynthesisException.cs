namespace S3Router.TrainingService.Data;

/// <summary>A synthesizer could not be started or produced no usable audio.</summary>
public sealed class SynthesisException : Exception
{
    /// <summary>Creates the exception.</summary>
    public SynthesisException(string message, Exception? inner = null)
        : base(message, inner)
    {
    }
}
