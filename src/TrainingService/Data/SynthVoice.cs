namespace S3Router.TrainingService.Data;

/// <summary>One voice of one engine, before pitch and rate are chosen.</summary>
/// <param name="Engine">The program that renders it.</param>
/// <param name="Name">espeak-ng variant (<c>adam</c>, <c>f3</c>, ...), festival voice (<c>kal_diphone</c>) or flite voice (<c>slt</c>).</param>
/// <param name="Speaker">The person behind the voice: flite's kal and festival's kal_diphone are one speaker, and
/// held-out splits keep whole speakers apart.</param>
/// <param name="TextEncoding">The encoding the engine reads (festival's European voices want ISO-8859-1/2).</param>
internal sealed record SynthVoice(SynthEngine Engine, string Name, string Speaker, string TextEncoding = "utf-8")
{
    /// <summary>A short file-name-safe tag.</summary>
    public string Tag => $"{Engine.ToString().ToLowerInvariant()}-{Name}";
}
