using System.Diagnostics;
using Microsoft.Extensions.Options;
using S3Router.Api.V1;
using S3Router.Core.Audio;
using S3Router.Core.Errors;
using S3Router.InferenceService.Inference.Routes;
using S3Router.InferenceService.Telemetry;
using CoreAudioEncoding = S3Router.Core.Audio.AudioEncoding;

namespace S3Router.InferenceService.Inference;

/// <summary>
/// Runs routes on decoded audio: each route version is resolved once and pinned for the request, the backbone's
/// unmasked frontend runs once for all routes, routes whose masks are equal share one encoder pass (one micro-batched
/// run per distinct session), then each route's head runs on the hidden states.
/// </summary>
internal sealed class RecognitionService(
    RouteManager routes, BackboneHost backbone, IOptions<InferenceOptions> options, InferenceMetrics metrics)
{
    /// <summary>Limits on request audio from the options.</summary>
    public AudioLimits Limits { get; } = new()
    {
        MaxBytes = options.Value.MaxAudioBytes,
        MaxDuration = TimeSpan.FromSeconds(options.Value.MaxAudioSeconds),
    };

    /// <summary>Decodes a validated request's audio and runs its routes.</summary>
    public async Task<RecognitionOutcome> RecognizeAsync(RecognizeRequest request, CancellationToken cancellationToken)
    {
        var config = request.Config ?? new RecognitionConfig();
        var audio = AudioDecoder.Decode(
            request.Audio.Content.Span, (CoreAudioEncoding)config.Encoding, config.SampleRateHertz, Limits, config.AudioChannelCount);
        var selectors = SpeechRequests.Routes(request.Task, request.LanguageCode, request.MaskRef, request.AdditionalRoutes);
        var outcomes = await RunAsync(audio.Samples, selectors, DecodeSettings.From(config), cancellationToken);
        return new RecognitionOutcome(outcomes, audio.Duration);
    }

    /// <summary>Runs <paramref name="selectors"/> on 16 kHz mono <paramref name="samples"/>; results in selector order.</summary>
    public Task<IReadOnlyList<RouteOutcome>> RunAsync(
        float[] samples, IReadOnlyList<RouteSelector> selectors, DecodeSettings settings, CancellationToken cancellationToken) =>
        RunAsync(samples, selectors, (_, model, output) => Head(model, output, settings), cancellationToken);

    /// <summary>
    /// Runs <paramref name="selectors"/> on 16 kHz mono <paramref name="samples"/> and turns each route's backbone output
    /// (hidden states [frames, hidden]) into its outcome with <paramref name="head"/> (selector index, model, hidden); results in
    /// selector order.
    /// </summary>
    public async Task<IReadOnlyList<RouteOutcome>> RunAsync(
        float[] samples, IReadOnlyList<RouteSelector> selectors, Func<int, RouteModel, Onnx.BackboneOutput, RouteOutcome> head,
        CancellationToken cancellationToken)
    {
        var minimum = backbone.Current.MinimumSamples;
        if (samples.Length < minimum)
        {
            throw new InvalidInputException(
                $"The audio is {samples.Length} samples at 16 kHz; at least {minimum} ({minimum / 16.0:F0} ms) are needed.", AudioFields.Content);
        }

        var started = Stopwatch.GetTimestamp();
        var handles = new List<RouteHandle>(selectors.Count);
        try
        {
            foreach (var selector in selectors)
            {
                handles.Add(await routes.AcquireAsync(selector, cancellationToken));
            }

            // One backbone pass per distinct engine; the shared frontend runs once for all engines that use it.
            // Conv features are copied out of the frontend only when a statistics-pooling route needs them.
            var runs = new Dictionary<RouteEngine, Task<Onnx.BackboneOutput>>();
            var convFeatures = handles.Any(h => h.Engine.UsesFrontend && h.Engine.HiddenStates);
            Task<Onnx.FrontendOutput>? frontend = null;
            foreach (var handle in handles)
            {
                if (!runs.ContainsKey(handle.Engine))
                {
                    if (handle.Engine.UsesFrontend)
                    {
                        frontend ??= RunQueuedAsync(ct => routes.Frontend.RunAsync(samples, convFeatures, ct), cancellationToken);
                        runs[handle.Engine] = RunEncoderAfterAsync(handle.Engine, frontend, cancellationToken);
                    }
                    else
                    {
                        runs[handle.Engine] = RunQueuedAsync(ct => handle.Engine.RunAsync(samples, ct), cancellationToken);
                    }
                }
            }

            await Task.WhenAll(runs.Values);
            var outcomes = new List<RouteOutcome>(handles.Count);
            for (var i = 0; i < handles.Count; i++)
            {
                var handle = handles[i];
                var output = await runs[handle.Engine];
                outcomes.Add(head(i, handle.Model, output));
                metrics.RouteCompleted(handle.Model.Version.Task, handle.Model.Version.LanguageCode, Stopwatch.GetElapsedTime(started));
            }

            return outcomes;
        }
        catch (Exception e)
        {
            metrics.RouteFailed(selectors[0].Task, StatusLabel.Of(e, cancellationToken));
            throw;
        }
        finally
        {
            foreach (var handle in handles)
            {
                handle.Dispose();
            }
        }
    }

    /// <summary>
    /// The route's head on its backbone output: CTC decoding (word times in the audio's frames) or classification (of
    /// the all-states features for statistics pooling).
    /// </summary>
    public static RouteOutcome Head(RouteModel model, Onnx.BackboneOutput output, DecodeSettings settings)
    {
        if (model.Ctc is { } ctc)
        {
            return new RouteOutcome(model.Version, ctc.Decode(output.Hidden, settings.BeamWidth, settings.MaxAlternatives, output.FrameIndex), null);
        }

        var classifier = model.Classifier!;
        var input = classifier.ReadsAllStates
            ? output.States ?? throw new InvalidOperationException("An all-states route (stats or conv_max pooling) ran on a session without hidden states.")
            : output.Hidden;
        return new RouteOutcome(model.Version, null, classifier.Classify(input, settings.MaxClasses));
    }

    private async Task<Onnx.BackboneOutput> RunEncoderAfterAsync(
        RouteEngine engine, Task<Onnx.FrontendOutput> frontend, CancellationToken cancellationToken)
    {
        var front = await frontend;
        var encoded = await RunQueuedAsync(ct => engine.RunEncoderAsync(front.Hidden, ct), cancellationToken);
        if (!engine.HiddenStates)
        {
            return new Onnx.BackboneOutput(encoded, null);
        }

        // encoded: hidden states 1..L [frames, L·H]; with the conv features and state 0 they make x[t] [frames, W].
        var conv = front.ConvFeatures ?? throw new InvalidOperationException("The frontend ran without conv features.");
        var hidden = front.Hidden.GetLength(1);
        return new Onnx.BackboneOutput(Onnx.AllStates.LastState(encoded, hidden), null, Onnx.AllStates.Concat(conv, front.Hidden, encoded));
    }

    private async Task<T> RunQueuedAsync<T>(Func<CancellationToken, Task<T>> run, CancellationToken cancellationToken)
    {
        metrics.QueueDepthChanged(1);
        try
        {
            return await run(cancellationToken);
        }
        catch (ResourceExhaustedException)
        {
            metrics.Rejected();
            throw;
        }
        finally
        {
            metrics.QueueDepthChanged(-1);
        }
    }
}
