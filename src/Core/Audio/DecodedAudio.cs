namespace S3Router.Core.Audio;

/// <summary>Mono audio ready for the model, as returned by <see cref="AudioDecoder.Decode"/>.</summary>
/// <param name="Samples">Mono samples in [-1, 1] at <paramref name="SampleRateHertz"/>.</param>
/// <param name="SampleRateHertz">Rate of <paramref name="Samples"/>, in Hz (16000 unless the caller asked otherwise).</param>
/// <param name="SourceSampleRateHertz">Rate of the audio as sent, in Hz.</param>
/// <param name="SourceChannelCount">Channels of the audio as sent; they were averaged to mono.</param>
/// <param name="Duration">Length of the audio as sent (source frames / source rate).</param>
public sealed record DecodedAudio(
    float[] Samples,
    int SampleRateHertz,
    int SourceSampleRateHertz,
    int SourceChannelCount,
    TimeSpan Duration);
