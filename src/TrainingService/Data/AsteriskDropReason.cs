namespace S3Router.TrainingService.Data;

/// <summary>Why a recorded Asterisk prompt is left out of the manifests.</summary>
public enum AsteriskDropReason
{
    /// <summary>The transcript line has no text.</summary>
    Empty,

    /// <summary>The transcript describes a sound (<c>[ascending tones]</c>, <c>(ahooga)</c>) in this or another
    /// language: a prompt name is the same content in every language.</summary>
    Placeholder,

    /// <summary>Letters were lost to an encoding accident (<c>pu? essere</c> for <c>può essere</c>).</summary>
    Corrupt,

    /// <summary>After normalization the text still holds digits, symbols, acronyms or letters outside the vocabulary.</summary>
    OutOfVocabulary,

    /// <summary>A transcript without a recording.</summary>
    NoAudio,

    /// <summary>A recording without a transcript.</summary>
    NoTranscript,

    /// <summary>ffmpeg could not decode the recording.</summary>
    DecodeFailed,
}
