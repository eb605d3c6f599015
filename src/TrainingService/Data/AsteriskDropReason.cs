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

    /// <summary>A letter read by its name (<c>letters/w: W</c>, spoken "double-u"): a character model trained on
    /// sentences cannot spell a letter name, and the synthetic corpus leaves spelled-out letters out too.</summary>
    LetterName,

    /// <summary>The transcript says more than the recording: over 1.6 times the language's median characters per
    /// second, as when a translator's note was left in the line (<c>voce disattivata you are now muted</c>).</summary>
    LongerThanRecording,

    /// <summary>A transcript without a recording.</summary>
    NoAudio,

    /// <summary>A recording without a transcript.</summary>
    NoTranscript,

    /// <summary>ffmpeg could not decode the recording.</summary>
    DecodeFailed,
}
