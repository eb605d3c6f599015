namespace S3Router.TrainingService.Data;

/// <summary>One planned utterance.</summary>
/// <param name="RelativePath">WAV path relative to its manifest root, e.g. <c>wav/espeak-adam_0123456789abcdef.wav</c>;
/// named after a hash of everything that shapes the audio, so a resumed build with other options reuses only
/// files that are really the same.</param>
/// <param name="SpokenText">The text handed to the engine (the normalized words).</param>
/// <param name="Words">The transcript in the language's vocabulary.</param>
/// <param name="Voice">Voice, pitch and rate.</param>
/// <param name="Label">Class name for classification tasks, else null.</param>
/// <param name="Augmentation">Effects applied after synthesis, or null.</param>
internal sealed record CorpusItem(
    string RelativePath,
    string SpokenText,
    IReadOnlyList<string> Words,
    VoiceRendition Voice,
    string? Label,
    Augmentation? Augmentation)
{
    public static CorpusItem Create(IReadOnlyList<string> words, VoiceRendition voice, string? label, Augmentation? augmentation)
    {
        var text = string.Join(' ', words);
        var augmentationKey = augmentation is null || augmentation.IsIdentity ? "" : augmentation.Key;
        var hash = StableHash.Hex(voice.Key, text, augmentationKey);
        var augmented = augmentationKey.Length == 0 ? null : augmentation;
        return new CorpusItem($"wav/{voice.Voice.Tag}_{hash}.wav", text, words, voice, label, augmented);
    }
}
