namespace S3Router.TrainingService.Data;

/// <summary>A voice with the pitch and rate of one utterance.</summary>
/// <param name="Voice">The engine voice.</param>
/// <param name="EspeakVoice">espeak-ng's language voice (<c>en-us</c>); unused by the other engines.</param>
/// <param name="Pitch">espeak-ng pitch 0..99 (default 50); other engines ignore it.</param>
/// <param name="Rate">Speaking rate in words per minute as espeak-ng counts them (default 175); the other engines
/// receive it as a duration stretch of 175 / rate.</param>
internal sealed record VoiceRendition(SynthVoice Voice, string EspeakVoice, int Pitch, int Rate)
{
    /// <summary>A stable description of everything that shapes the audio.</summary>
    public string Key => $"{Voice.Tag}|{EspeakVoice}|p{Pitch}|s{Rate}";
}
