namespace S3Router.Core.Audio;

/// <summary>How the samples of a WAV file are stored (the format tag, or the sub-format of WAVE_FORMAT_EXTENSIBLE).</summary>
public enum WavSampleFormat
{
    /// <summary>Integer PCM (tag 1): unsigned 8-bit, signed 16/24/32-bit little-endian.</summary>
    Pcm = 1,

    /// <summary>IEEE float (tag 3): 32 or 64 bits.</summary>
    IeeeFloat = 3,

    /// <summary>G.711 A-law (tag 6), 8 bits.</summary>
    Alaw = 6,

    /// <summary>G.711 mu-law (tag 7), 8 bits.</summary>
    Mulaw = 7,
}
