namespace S3Router.Core.Audio;

/// <summary>Request field paths named by <see cref="AudioFormatException"/> (Google Cloud Speech naming).</summary>
public static class AudioFields
{
    /// <summary>The audio bytes.</summary>
    public const string Content = "audio.content";

    /// <summary>The declared encoding.</summary>
    public const string Encoding = "config.encoding";

    /// <summary>The declared sample rate.</summary>
    public const string SampleRateHertz = "config.sample_rate_hertz";

    /// <summary>The declared channel count.</summary>
    public const string AudioChannelCount = "config.audio_channel_count";
}
