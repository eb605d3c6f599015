namespace S3Router.Core.Audio;

/// <summary>
/// How request audio bytes are encoded. Names and numbers mirror Google Cloud Speech's
/// <c>RecognitionConfig.AudioEncoding</c>, so a proto enum value converts with a plain cast.
/// <see cref="AudioDecoder"/> decodes WAV, <see cref="Linear16"/>, <see cref="Mulaw"/> and <see cref="Alaw"/>;
/// the other values are refused with an error that says what to send instead.
/// Reference: https://cloud.google.com/speech-to-text/docs/reference/rpc/google.cloud.speech.v1#audioencoding
/// </summary>
public enum AudioEncoding
{
    /// <summary><c>ENCODING_UNSPECIFIED</c>: detect from the header; only WAV (RIFF/WAVE) is recognised.</summary>
    EncodingUnspecified = 0,

    /// <summary><c>LINEAR16</c>: signed 16-bit little-endian PCM, raw (needs the sample rate) or inside a WAV file.</summary>
    Linear16 = 1,

    /// <summary><c>FLAC</c>: not supported.</summary>
    Flac = 2,

    /// <summary><c>MULAW</c>: 8-bit G.711 mu-law, raw (needs the sample rate) or inside a WAV file.</summary>
    Mulaw = 3,

    /// <summary><c>AMR</c>: not supported.</summary>
    Amr = 4,

    /// <summary><c>AMR_WB</c>: not supported.</summary>
    AmrWb = 5,

    /// <summary><c>OGG_OPUS</c>: not supported.</summary>
    OggOpus = 6,

    /// <summary><c>SPEEX_WITH_HEADER_BYTE</c>: not supported.</summary>
    SpeexWithHeaderByte = 7,

    /// <summary><c>MP3</c>: not supported.</summary>
    Mp3 = 8,

    /// <summary><c>WEBM_OPUS</c>: not supported.</summary>
    WebmOpus = 9,

    /// <summary><c>ALAW</c>: 8-bit G.711 A-law, raw (needs the sample rate) or inside a WAV file.</summary>
    Alaw = 10,
}
