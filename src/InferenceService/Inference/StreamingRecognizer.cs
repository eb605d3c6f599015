using System.Runtime.CompilerServices;
using Google.Protobuf;
using Microsoft.Extensions.Options;
using S3Router.Api.V1;
using S3Router.InferenceService.Inference.Heads;
using S3Router.InferenceService.Inference.Routes;

namespace S3Router.InferenceService.Inference;

/// <summary>
/// Streaming recognition: audio chunks accumulate (bounded by <see cref="InferenceOptions.MaxAudioBytes"/> and the
/// duration limit). With interim results on, each time another <c>interim_interval</c> of audio has arrived the routes
/// run on a bounded window only: the audio new since the last interim plus <see cref="InferenceOptions.StreamingContextSeconds"/>
/// of left context. CTC routes decode greedily just the window's new frames and append them to the transcript so far;
/// classifier routes classify the window. The work per interim is bounded, so a stream costs O(its length) however
/// long it is. The final result decodes and runs the whole audio exactly as a non-streaming Recognize does.
/// </summary>
internal sealed class StreamingRecognizer(RecognitionService recognition, BackboneHost backbone, IOptions<InferenceOptions> options)
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
        using var buffer = new StreamingAudioBuffer(recognitionConfig, recognition.Limits);
        var interim = new InterimState(selectors.Count);
        await foreach (var chunk in chunks.WithCancellation(cancellationToken))
        {
            buffer.Append(chunk);
            var duration = buffer.Duration;
            if (!config.InterimResults || duration < nextInterim)
            {
                continue;
            }

            var outcomes = await InterimAsync(buffer, interim, selectors, settings, cancellationToken);
            if (outcomes is null)
            {
                continue;
            }

            while (nextInterim <= duration)
            {
                nextInterim += interval;
            }

            yield return new RecognitionOutcome(outcomes, duration, IsFinal: false);
        }

        var all = buffer.DecodeAll();
        var final = await recognition.RunAsync(all.Samples, selectors, settings, cancellationToken);
        yield return new RecognitionOutcome(final, all.Duration);
    }

    // Runs the routes on [last interim end - context, now); null when the window cannot be decoded or is too short.
    private async Task<IReadOnlyList<RouteOutcome>?> InterimAsync(
        StreamingAudioBuffer buffer, InterimState state, IReadOnlyList<RouteSelector> selectors, DecodeSettings settings,
        CancellationToken cancellationToken)
    {
        var loaded = backbone.Current;
        var rate = buffer.SourceRateHertz;
        var end = buffer.Frames;
        var context = (long)(options.Value.StreamingContextSeconds * rate);
        var start = Math.Max(0, state.DecodedUpTo - context);
        var window = buffer.DecodeRange(start, end);
        if (window is null || window.Length < loaded.MinimumSamples)
        {
            return null;
        }

        // Absolute frame of the window's row 0 (frame t starts at t * hop samples at 16 kHz).
        var firstFrame = (int)Math.Round(start * (double)Core.Audio.AudioDecoder.TargetSampleRateHertz / rate / loaded.Config.FrameHopSamples);
        var outcomes = await recognition.RunAsync(window, selectors, (i, model, output) =>
        {
            if (model.Ctc is not { } ctc)
            {
                return RecognitionService.Head(model, output, settings);
            }

            // Interims count the window's rows as frames; a token-dropping route's interim word times are therefore
            // approximate, its final result (a whole Recognize pass) maps them exactly.
            var stream = state.Ctc[i] ??= new CtcGreedyStream();
            stream.Append(ctc.LogProbabilities(output.Hidden), firstFrame);
            return new RouteOutcome(model.Version, [ctc.ToAlternative(stream.Hypothesis())], null);
        }, cancellationToken);
        state.DecodedUpTo = end;
        return outcomes;
    }

    /// <summary>What earlier interim results decoded: source frames covered, and each CTC route's best path so far.</summary>
    private sealed class InterimState(int routes)
    {
        public long DecodedUpTo { get; set; }

        public CtcGreedyStream?[] Ctc { get; } = new CtcGreedyStream?[routes];
    }
}
