namespace S3Router.TrainingService.Data;

/// <summary>What one language's Asterisk prompts gave.</summary>
/// <param name="Code">ISO 639-1 code, the folder under <c>asr/</c>.</param>
/// <param name="Voice">The voice folder (<c>en_US_f_Allison</c>): one professional speaker.</param>
/// <param name="Transcripts">Entries in the transcript list.</param>
/// <param name="Recordings">G.722 files.</param>
/// <param name="Kept">Prompts in the manifests (<c>all</c> = <c>train_real</c> + <c>test</c>).</param>
/// <param name="Dropped">Prompts left out, by reason (reasons with none are absent).</param>
public sealed record AsteriskLanguageReport(
    string Code,
    string Voice,
    int Transcripts,
    int Recordings,
    int Kept,
    IReadOnlyDictionary<AsteriskDropReason, int> Dropped);
