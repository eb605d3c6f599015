namespace S3Router.Core.Audio;

/// <summary>A WAV file read by <see cref="WavReader"/>, already averaged to mono.</summary>
/// <param name="Samples">Mono samples in [-1, 1] at <paramref name="SampleRateHertz"/>.</param>
/// <param name="SampleRateHertz">The header's sample rate, in Hz.</param>
/// <param name="ChannelCount">The header's channel count (before the downmix).</param>
/// <param name="Format">How the samples were stored.</param>
/// <param name="BitsPerSample">Bits per stored sample (the container size, e.g. 32 for 24-in-32 EXTENSIBLE).</param>
public sealed record WavAudio(
    float[] Samples,
    int SampleRateHertz,
    int ChannelCount,
    WavSampleFormat Format,
    int BitsPerSample)
{
    /// <summary>Length of the audio: frames / sample rate.</summary>
    public TimeSpan Duration => TimeSpan.FromSeconds((double)Samples.Length / SampleRateHertz);
}
