using S3Router.Core.Errors;

namespace S3Router.Core.Masks;

/// <summary>
/// Per-route token dropping (S6-DAMON's SALAD idea, simplified): frames that carry little are removed between the conv
/// frontend and the transformer. A frame is dropped when it is silent, or when its frontend features repeat the previous
/// frame's; frames within <see cref="MarginFrames"/> of a loud frame are never dropped as silent, and every utterance
/// keeps at least one frame. Stored in the bundle metadata as <c>token_dropping</c>; a bundle without it drops nothing.
/// </summary>
public sealed record TokenDroppingSettings
{
    /// <summary>
    /// A frame is silent when the RMS of the audio in its receptive field (400 samples for the standard frontend) is
    /// below this level, in dBFS (0 dBFS = full scale sine peak 1.0). Null: no silence dropping. Default: -45 dBFS.
    /// Range: [-120, 0].
    /// </summary>
    public double? SilenceDbfs { get; init; } = -45;

    /// <summary>
    /// A frame is a repeat when the cosine similarity of its frontend features (conv output, before the projection)
    /// with the previous frame's is at least this. Null: no repeat dropping. Default: null. Range: (0, 1].
    /// </summary>
    public double? RepeatCosine { get; init; }

    /// <summary>Frames kept on each side of a loud frame (protects onsets and decays). Default: 1. Range: [0, 50].</summary>
    public int MarginFrames { get; init; } = 1;

    /// <summary>True when the settings drop something at all.</summary>
    public bool IsActive => SilenceDbfs is not null || RepeatCosine is not null;

    /// <summary>Checks the ranges.</summary>
    /// <exception cref="InvalidInputException">A value is outside its range.</exception>
    public void Validate()
    {
        if (SilenceDbfs is { } db && !(db >= -120 && db <= 0))
        {
            throw new InvalidInputException($"token_dropping silence_dbfs {db} is outside [-120, 0]", "token_dropping");
        }

        if (RepeatCosine is { } cosine && !(cosine > 0 && cosine <= 1))
        {
            throw new InvalidInputException($"token_dropping repeat_cosine {cosine} is outside (0, 1]", "token_dropping");
        }

        if (MarginFrames is < 0 or > 50)
        {
            throw new InvalidInputException($"token_dropping margin_frames {MarginFrames} is outside [0, 50]", "token_dropping");
        }
    }
}
