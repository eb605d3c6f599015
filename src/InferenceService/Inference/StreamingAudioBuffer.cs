using System.Buffers.Binary;
using Google.Protobuf;
using S3Router.Api.V1;
using S3Router.Core.Audio;
using S3Router.Core.Errors;
using CoreAudioEncoding = S3Router.Core.Audio.AudioEncoding;

namespace S3Router.InferenceService.Inference;

/// <summary>
/// The bytes of one audio stream (bounded by <see cref="AudioLimits.MaxBytes"/>) with O(1) bookkeeping per chunk: once
/// the layout is known (headerless: from the config; WAV: when the fmt and data chunk headers have arrived), the audio
/// duration is arithmetic and any range of sample frames can be decoded alone, so interim results never re-decode the
/// whole stream. <see cref="DecodeAll"/> decodes everything exactly as a non-streaming request would.
/// </summary>
internal sealed class StreamingAudioBuffer(RecognitionConfig config, AudioLimits limits) : IDisposable
{
    private readonly MemoryStream _bytes = new();
    private Layout? _layout;

    /// <summary>Bytes received so far.</summary>
    public long Length => _bytes.Length;

    /// <summary>Sample rate of the source audio, once known; else 0.</summary>
    public int SourceRateHertz => TryLayout()?.RateHertz ?? 0;

    /// <summary>Whole sample frames (one sample per channel) received so far; 0 while the layout is unknown.</summary>
    public long Frames => TryLayout() is { } layout ? Math.Max(0, _bytes.Length - layout.DataOffset) / layout.BlockAlign : 0;

    /// <summary>Audio time received so far (zero while the layout is unknown).</summary>
    public TimeSpan Duration => SourceRateHertz > 0 ? TimeSpan.FromSeconds((double)Frames / SourceRateHertz) : TimeSpan.Zero;

    /// <summary>Appends a chunk.</summary>
    /// <exception cref="InvalidInputException">The stream would exceed the byte limit.</exception>
    public void Append(ByteString chunk)
    {
        if (_bytes.Length + chunk.Length > limits.MaxBytes)
        {
            throw new InvalidInputException(
                $"The audio stream exceeds {limits.MaxBytes} bytes; end the stream sooner or split the audio.", "audio_content");
        }

        chunk.WriteTo(_bytes);
    }

    /// <summary>
    /// Source frames [<paramref name="from"/>, <paramref name="to"/>) decoded to 16 kHz mono; null when they cannot be
    /// decoded (the final result reports the error).
    /// </summary>
    public float[]? DecodeRange(long from, long to)
    {
        if (TryLayout() is not { } layout || from < 0 || to <= from || to > Frames)
        {
            return null;
        }

        var content = _bytes.GetBuffer().AsSpan(0, (int)_bytes.Length);
        var data = content.Slice((int)(layout.DataOffset + (from * layout.BlockAlign)), (int)((to - from) * layout.BlockAlign));
        try
        {
            if (layout.DataOffset == 0)
            {
                return Decode(data);
            }

            // A WAV of just this range: the header as received, its data chunk marked "runs to the end".
            var wav = new byte[layout.DataOffset + data.Length];
            content[..(int)layout.DataOffset].CopyTo(wav);
            BinaryPrimitives.WriteUInt32LittleEndian(wav.AsSpan((int)layout.DataOffset - 4), uint.MaxValue);
            data.CopyTo(wav.AsSpan((int)layout.DataOffset));
            return Decode(wav);
        }
        catch (AudioFormatException)
        {
            return null;
        }
    }

    /// <summary>Everything received, decoded as <see cref="RecognitionService.RecognizeAsync"/> decodes a request.</summary>
    /// <exception cref="InvalidInputException">No audio arrived.</exception>
    /// <exception cref="AudioFormatException">The audio is malformed or over a limit.</exception>
    public DecodedAudio DecodeAll()
    {
        if (_bytes.Length == 0)
        {
            throw new InvalidInputException("The stream ended without audio: send audio_content messages after the config.", "audio_content");
        }

        return AudioDecoder.Decode(
            _bytes.GetBuffer().AsSpan(0, (int)_bytes.Length), (CoreAudioEncoding)config.Encoding, config.SampleRateHertz, limits, config.AudioChannelCount);
    }

    public void Dispose() => _bytes.Dispose();

    private float[] Decode(ReadOnlySpan<byte> content) =>
        AudioDecoder.Decode(content, (CoreAudioEncoding)config.Encoding, config.SampleRateHertz, limits, config.AudioChannelCount).Samples;

    private Layout? TryLayout()
    {
        if (_layout is not null)
        {
            return _layout;
        }

        var content = _bytes.GetBuffer().AsSpan(0, (int)_bytes.Length);
        if (content.Length < 12 && "RIFF"u8.StartsWith(content[..Math.Min(4, content.Length)]))
        {
            return null; // perhaps a WAV header still arriving
        }

        if (!WavReader.IsWav(content))
        {
            var bytesPerSample = (CoreAudioEncoding)config.Encoding == CoreAudioEncoding.Linear16 ? 2 : 1;
            var blockAlign = bytesPerSample * Math.Max(1, config.AudioChannelCount);
            return _layout = config.SampleRateHertz > 0 ? new Layout(0, blockAlign, config.SampleRateHertz) : null;
        }

        // RIFF chunks after the 12-byte header: id, little-endian size, body (odd sizes padded).
        int rate = 0, block = 0;
        long position = 12;
        while (position + 8 <= content.Length)
        {
            var id = content.Slice((int)position, 4);
            var size = BinaryPrimitives.ReadUInt32LittleEndian(content.Slice((int)position + 4, 4));
            if (id.SequenceEqual("data"u8))
            {
                return _layout = rate > 0 && block > 0 ? new Layout(position + 8, block, rate) : null;
            }

            if (id.SequenceEqual("fmt "u8))
            {
                if (position + 8 + 16 > content.Length)
                {
                    return null;
                }

                rate = (int)Math.Min(int.MaxValue, BinaryPrimitives.ReadUInt32LittleEndian(content.Slice((int)position + 12, 4)));
                block = BinaryPrimitives.ReadUInt16LittleEndian(content.Slice((int)position + 20, 2));
            }

            position += 8 + size + (size & 1);
        }

        return null;
    }

    /// <summary>Where sample data starts, bytes per sample frame, and the source rate.</summary>
    private sealed record Layout(long DataOffset, int BlockAlign, int RateHertz);
}
