using System.Runtime.CompilerServices;
using Google.Protobuf;
using S3Router.Api.V1;
using S3Router.Core.Audio;
using S3Router.Core.Errors;
using CoreAudioEncoding = S3Router.Core.Audio.AudioEncoding;

namespace S3Router.InferenceService.Inference;

/// <summary>
/// Streaming recognition: audio chunks accumulate (bounded by <see cref="InferenceOptions.MaxAudioBytes"/> and the
/// duration limit); with interim results on, the routes run on the audio so far each time another
/// <c>interim_interval</c> of audio has arrived; the final result follows the end of the stream. The whole buffer is
/// decoded at each interim point: simple, and cheap next to the backbone pass.
/// </summary>
internal sealed class StreamingRecognizer(RecognitionService recognition)
{
    /// <summary>Results for a validated config and the audio chunks that follow it.</summary>
    public async IAsyncEnumerable<RecognitionOutcome> RecognizeAsync(
        StreamingRecognitionConfig config, IAsyncEnumerable<ByteString> chunks, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var recognitionConfig = config.Config ?? new RecognitionConfig();
        var selectors = SpeechRequests.Routes(config.Task, config.LanguageCode, config.MaskRef, config.AdditionalRoutes);
        var settings = DecodeSettings.From(recognitionConfig);
        var interval = config.InterimInterval?.ToTimeSpan() ?? SpeechRequests.DefaultInterimInterval;
        var nextInterim = interval;
        var limits = recognition.Limits;
        using var buffer = new MemoryStream();
        await foreach (var chunk in chunks.WithCancellation(cancellationToken))
        {
            if (buffer.Length + chunk.Length > limits.MaxBytes)
            {
                throw new InvalidInputException(
                    $"The audio stream exceeds {limits.MaxBytes} bytes; end the stream sooner or split the audio.", "audio_content");
            }

            chunk.WriteTo(buffer);
            if (!config.InterimResults)
            {
                continue;
            }

            var audio = TryDecodeSoFar(buffer, recognitionConfig, limits);
            if (audio is null || audio.Duration < nextInterim)
            {
                continue;
            }

            while (nextInterim <= audio.Duration)
            {
                nextInterim += interval;
            }

            var interim = await recognition.RunAsync(audio.Samples, selectors, settings, cancellationToken);
            yield return new RecognitionOutcome(interim, audio.Duration, IsFinal: false);
        }

        if (buffer.Length == 0)
        {
            throw new InvalidInputException("The stream ended without audio: send audio_content messages after the config.", "audio_content");
        }

        var all = Decode(buffer.GetBuffer().AsSpan(0, (int)buffer.Length), recognitionConfig, limits);
        var final = await recognition.RunAsync(all.Samples, selectors, settings, cancellationToken);
        yield return new RecognitionOutcome(final, all.Duration);
    }

    private static DecodedAudio Decode(ReadOnlySpan<byte> content, RecognitionConfig config, AudioLimits limits) =>
        AudioDecoder.Decode(content, (CoreAudioEncoding)config.Encoding, config.SampleRateHertz, limits, config.AudioChannelCount);

    // The audio so far, cut to whole sample frames; null while it cannot be decoded yet (a WAV header still arriving).
    private static DecodedAudio? TryDecodeSoFar(MemoryStream buffer, RecognitionConfig config, AudioLimits limits)
    {
        var content = buffer.GetBuffer().AsSpan(0, (int)buffer.Length);
        if (WavReader.IsWav(content))
        {
            try
            {
                return Decode(content, config, limits);
            }
            catch (AudioFormatException)
            {
                return null;
            }
        }

        var bytesPerSample = (CoreAudioEncoding)config.Encoding == CoreAudioEncoding.Linear16 ? 2 : 1;
        var frameBytes = bytesPerSample * Math.Max(1, config.AudioChannelCount);
        var whole = content.Length - (content.Length % frameBytes);
        return whole == 0 ? null : Decode(content[..whole], config, limits);
    }
}
