using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using S3Router.Api.V1;
using S3Router.Core.Audio;
using S3Router.Core.Backbones;
using S3Router.Core.Masks;
using S3Router.InferenceService.Onnx;
using S3Router.Testing;

namespace S3Router.InferenceService.Tests.Functional;

/// <summary>The Speech API of a real InferenceService against a real MaskRegistry, over GrpcChannels on loopback.</summary>
public sealed class SpeechServiceTests(ServingPlatform platform) : IClassFixture<ServingPlatform>
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private static RecognizeRequest Request(string task, string language, string maskRef = "", int samples = 8000) => new()
    {
        Task = task,
        LanguageCode = language,
        MaskRef = maskRef,
        Config = ServingPlatform.Linear16Config(),
        Audio = new RecognitionAudio { Content = ServingPlatform.Linear16(samples, seed: 1) },
    };

    [Fact]
    public async Task Recognize_ProductionAlias_ResultNamesVersion1WithTranscriptInVocabulary()
    {
        // Arrange
        var request = Request("asr", "en");
        request.Config.EnableWordTimeOffsets = true;

        // Act
        var response = await platform.Speech.RecognizeAsync(request, cancellationToken: Token);

        // Assert
        var result = Assert.Single(response.Results);
        Assert.Equal(1, result.Route.Version);
        Assert.Equal(platform.Published["asr/en v1"].Digest, result.Route.Digest);
        Assert.Equal("asr", result.Route.Task);
        var alternative = Assert.Single(result.Speech.Alternatives);
        Assert.All(alternative.Transcript, c => Assert.Contains(c, "abcd "));
        Assert.Equal(alternative.Transcript, string.Join(' ', alternative.Words.Select(w => w.Word)));
        Assert.All(alternative.Words, w => Assert.True(w.EndTime.ToTimeSpan() > w.StartTime.ToTimeSpan()));
        Assert.InRange(alternative.Confidence, 0f, 1f);
        Assert.Equal(TimeSpan.FromMilliseconds(500), response.TotalAudioDuration.ToTimeSpan());
    }

    [Fact]
    public async Task Recognize_PinnedVersionAndAdditionalRoute_ResultsInRequestOrder()
    {
        // Arrange
        var request = Request("asr", "en", maskRef: "v2");
        request.Config.MaxAlternatives = 3;
        request.Config.BeamWidth = 4;
        request.Config.MaxClasses = 2;
        request.AdditionalRoutes.Add(new RouteSelector { Task = "speaker", LanguageCode = "und" });

        // Act
        var response = await platform.Speech.RecognizeAsync(request, cancellationToken: Token);

        // Assert
        Assert.Equal(2, response.Results.Count);
        Assert.Equal(2, response.Results[0].Route.Version);
        Assert.Equal(platform.Published["asr/en v2"].Digest, response.Results[0].Route.Digest);
        Assert.InRange(response.Results[0].Speech.Alternatives.Count, 1, 3);
        var speaker = response.Results[1];
        Assert.Equal("speaker", speaker.Route.Task);
        Assert.Equal(2, speaker.Classification.Classes.Count);
        Assert.All(speaker.Classification.Classes, c => Assert.Contains(c.ClassName, ServingPlatform.Speakers));
        Assert.True(speaker.Classification.Classes[0].Score >= speaker.Classification.Classes[1].Score);
    }

    [Fact]
    public async Task Recognize_UnknownRoute_NotFoundNamingTheRoute()
    {
        var error = await Assert.ThrowsAsync<RpcException>(() =>
            platform.Speech.RecognizeAsync(Request("intent", "en"), cancellationToken: Token).ResponseAsync);

        Assert.Equal(StatusCode.NotFound, error.StatusCode);
        Assert.Contains("intent/en", error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Recognize_RouteOfAnotherBackbone_FailedPrecondition()
    {
        var error = await Assert.ThrowsAsync<RpcException>(() =>
            platform.Speech.RecognizeAsync(Request("asr", "de"), cancellationToken: Token).ResponseAsync);

        Assert.Equal(StatusCode.FailedPrecondition, error.StatusCode);
        Assert.Contains("backbone", error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Recognize_BadConfigAndMissingAudio_InvalidArgumentListingFields()
    {
        var request = Request("asr", "en");
        request.Config.BeamWidth = 65;
        request.Config.MaxAlternatives = 11;
        request.Audio = new RecognitionAudio();

        var error = await Assert.ThrowsAsync<RpcException>(() => platform.Speech.RecognizeAsync(request, cancellationToken: Token).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains("config.beam_width", error.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("config.max_alternatives", error.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("audio.content", error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Recognize_RawAudioWithoutRate_InvalidArgumentOnSampleRate()
    {
        var request = Request("asr", "en");
        request.Config.SampleRateHertz = 0;

        var error = await Assert.ThrowsAsync<RpcException>(() => platform.Speech.RecognizeAsync(request, cancellationToken: Token).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains("sample_rate_hertz", error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ListRoutes_All_ProductionVersionsOfThisBackboneOnly()
    {
        var response = await platform.Speech.ListRoutesAsync(new ListRoutesRequest(), cancellationToken: Token);

        var names = response.Routes.Select(r => $"{r.Route.Task}/{r.Route.LanguageCode}").ToList();
        Assert.Contains("asr/en", names);
        Assert.Contains("speaker/und", names);
        Assert.DoesNotContain("asr/de", names);
        var asr = response.Routes.Single(r => r.Route.Task == "asr" && r.Route.LanguageCode == "en");
        Assert.Equal(1, asr.Route.Version);
        Assert.Equal(HeadKind.Ctc, asr.HeadKind);
        Assert.Equal(ServingPlatform.Vocabulary.Count, asr.LabelCount);
        Assert.Equal(1, asr.Aliases["production"]);
    }

    [Fact]
    public async Task StreamingRecognize_ChunksWithInterimResults_InterimThenFinalNamingVersion()
    {
        // Arrange: 1 s of audio in 100 ms chunks, interim results every 300 ms.
        var audio = ServingPlatform.Linear16(16000, seed: 3).ToByteArray();
        using var call = platform.Speech.StreamingRecognize(cancellationToken: Token);
        await call.RequestStream.WriteAsync(new StreamingRecognizeRequest
        {
            StreamingConfig = new StreamingRecognitionConfig
            {
                Task = "asr",
                LanguageCode = "en",
                Config = ServingPlatform.Linear16Config(),
                InterimResults = true,
                InterimInterval = Duration.FromTimeSpan(TimeSpan.FromMilliseconds(300)),
            },
        }, Token);

        // Act
        for (var offset = 0; offset < audio.Length; offset += 3200)
        {
            await call.RequestStream.WriteAsync(new StreamingRecognizeRequest
            {
                AudioContent = Google.Protobuf.ByteString.CopyFrom(audio, offset, 3200),
            }, Token);
        }

        await call.RequestStream.CompleteAsync();
        var responses = await call.ResponseStream.ReadAllAsync(Token).ToListAsync(Token);

        // Assert
        Assert.Equal(4, responses.Count); // interim at 300, 600, 900 ms, then the final
        Assert.All(responses.SkipLast(1), r => Assert.False(r.IsFinal));
        Assert.True(responses[^1].IsFinal);
        Assert.Equal(TimeSpan.FromSeconds(1), responses[^1].ResultEndTime.ToTimeSpan());
        Assert.All(responses, r => Assert.Equal(1, Assert.Single(r.Results).Route.Version));
    }

    [Fact]
    public async Task StreamingRecognize_InterimsOverBoundedWindows_FinalEqualsRecognizeOfTheSameAudio()
    {
        // Arrange: 3 s in 50 ms chunks, interim results every 200 ms, a CTC route with beam search and a classifier.
        var audio = ServingPlatform.Linear16(48000, seed: 4).ToByteArray();
        var recognitionConfig = ServingPlatform.Linear16Config();
        recognitionConfig.BeamWidth = 4;
        recognitionConfig.MaxAlternatives = 2;
        recognitionConfig.EnableWordTimeOffsets = true;
        var speaker = new RouteSelector { Task = "speaker", LanguageCode = "und" };
        using var call = platform.Speech.StreamingRecognize(cancellationToken: Token);
        await call.RequestStream.WriteAsync(new StreamingRecognizeRequest
        {
            StreamingConfig = new StreamingRecognitionConfig
            {
                Task = "asr",
                LanguageCode = "en",
                Config = recognitionConfig,
                AdditionalRoutes = { speaker },
                InterimResults = true,
                InterimInterval = Duration.FromTimeSpan(TimeSpan.FromMilliseconds(200)),
            },
        }, Token);

        // Act
        for (var offset = 0; offset < audio.Length; offset += 1600)
        {
            await call.RequestStream.WriteAsync(new StreamingRecognizeRequest
            {
                AudioContent = Google.Protobuf.ByteString.CopyFrom(audio, offset, 1600),
            }, Token);
        }

        await call.RequestStream.CompleteAsync();
        var responses = await call.ResponseStream.ReadAllAsync(Token).ToListAsync(Token);
        var request = new RecognizeRequest
        {
            Task = "asr",
            LanguageCode = "en",
            Config = recognitionConfig,
            Audio = new RecognitionAudio { Content = Google.Protobuf.ByteString.CopyFrom(audio) },
            AdditionalRoutes = { speaker },
        };
        var expected = await platform.Speech.RecognizeAsync(request, cancellationToken: Token);

        // Assert: the final result is the non-streaming one; interim transcripts only grow.
        Assert.True(responses[^1].IsFinal);
        Assert.Equal(expected.Results, responses[^1].Results);
        var interims = responses.SkipLast(1).ToList();
        Assert.Equal(15, interims.Count); // 200, 400, ... 3000 ms
        Assert.All(interims, r => Assert.False(r.IsFinal));
        Assert.All(interims, r => Assert.NotEmpty(r.Results[1].Classification.Classes));
        var transcripts = interims.Select(r => Assert.Single(r.Results[0].Speech.Alternatives).Transcript).ToList();
        for (var i = 1; i < transcripts.Count; i++)
        {
            Assert.StartsWith(transcripts[i - 1], transcripts[i], StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task StreamingRecognize_AudioBeforeConfig_InvalidArgument()
    {
        using var call = platform.Speech.StreamingRecognize(cancellationToken: Token);
        await call.RequestStream.WriteAsync(new StreamingRecognizeRequest { AudioContent = ServingPlatform.Linear16(1600, 1) }, Token);
        await call.RequestStream.CompleteAsync();

        var error = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.ReadAllAsync(Token).ToListAsync(Token).AsTask());

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains("streaming_config", error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Recognize_AliasMovesWhileClientLoops_ZeroFailuresAndEveryResponseNamesItsVersion()
    {
        // Arrange: a client loops on asr/fr (production = v1) until it has seen v2 a few times.
        var versions = new List<long>();
        var failures = new List<Exception>();
        var sawV1 = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(Token);
        deadline.CancelAfter(TimeSpan.FromSeconds(90));
        var loop = Task.Run(async () =>
        {
            var v2Seen = 0;
            while (v2Seen < 5 && !deadline.IsCancellationRequested)
            {
                try
                {
                    var response = await platform.Speech.RecognizeAsync(Request("asr", "fr"), cancellationToken: deadline.Token);
                    var route = Assert.Single(response.Results).Route;
                    lock (versions)
                    {
                        versions.Add(route.Version);
                    }

                    Assert.Equal(platform.Published[$"asr/fr v{route.Version}"].Digest, route.Digest);
                    v2Seen += route.Version == 2 ? 1 : 0;
                    if (versions.Count >= 3)
                    {
                        sawV1.TrySetResult();
                    }
                }
                catch (Exception e) when (!deadline.IsCancellationRequested)
                {
                    failures.Add(e);
                    sawV1.TrySetResult();
                    return;
                }
            }
        }, Token);
        await sawV1.Task.WaitAsync(deadline.Token);

        // Act
        var moved = await platform.Registry.SetAliasAsync(
            new SetAliasRequest { Task = "asr", LanguageCode = "fr", Alias = "production", Version = 2 }, cancellationToken: Token);
        await loop;

        // Assert: no failure; v1 first, then v2 only (each request pinned one version, no flapping back).
        Assert.Empty(failures);
        Assert.Equal(1, moved.PreviousVersion);
        Assert.Equal(1, versions[0]);
        Assert.Equal(2, versions[^1]);
        var firstV2 = versions.IndexOf(2);
        Assert.All(versions.Skip(firstV2), v => Assert.Equal(2, v));
    }

    [Fact]
    public async Task Recognize_StatisticsPoolingRouteWithAnotherRoute_ClassesAndScoresOfTheHeadOnAllStates()
    {
        // Arrange: a masked statistics-pooling route with a random head; the expected scores come from the whole graph's
        // all states (the pod runs the shared frontend and the route's encoder) and the pooling formula written out here.
        var (config, weights) = await BackboneCheckpoint.LoadAsync(platform.BackboneDirectory, Token);
        var width = config.AllStatesWidth;
        var d = 2 * width;
        var classes = ServingPlatform.Speakers.Count;
        var random = new Random(81);
        var normMean = Enumerable.Range(0, d).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray();
        var normStd = Enumerable.Range(0, d).Select(_ => (float)(0.5 + (1.5 * random.NextDouble()))).ToArray();
        var weight = Enumerable.Range(0, classes * d).Select(_ => (float)(0.2 * (random.NextDouble() - 0.5))).ToArray();
        float[] bias = [0.1f, -0.2f, 0.05f];
        var bundle = new MaskBundle
        {
            Task = "speakerstats",
            BackboneDigest = platform.BackboneHex,
            HeadKind = MaskHeadKind.Classifier,
            Labels = [.. ServingPlatform.Speakers],
            Masks = TestBundles.FfnMasks(config, seed: 82),
            Heads =
            [
                new HeadTensor("head.norm.mean", [d], normMean),
                new HeadTensor("head.norm.std", [d], normStd),
                new HeadTensor("head.proj.weight", [classes, d], weight),
                new HeadTensor("head.proj.bias", [classes], bias),
            ],
        };
        var (request, x) = await PublishWithAllStatesAsync(bundle, config, weights, classes);
        var expected = ExpectedScores(x, normMean, normStd, weight, bias);

        // Act
        var response = await platform.Speech.RecognizeAsync(request, cancellationToken: Token);

        // Assert
        AssertClassesOfTheHead(response, expected, precision: 3);
        Assert.Equal("asr", response.Results[1].Route.Task);
    }

    [Fact]
    public async Task Recognize_ConvMaxRouteWithAnotherRoute_ClassesAndScoresOfTheHeadOnAllStates()
    {
        // Arrange: a masked conv_max route with a random head; the expected scores come from the whole graph's all states
        // and the head's formula written out (ConvMaxReference).
        var (config, weights) = await BackboneCheckpoint.LoadAsync(platform.BackboneDirectory, Token);
        var (h, l, channels, kernel) = (config.HiddenSize, config.NumHiddenLayers, 12, 5);
        var classes = ServingPlatform.Speakers.Count;
        var tensors = RandomConvMaxHead(new Random(91), config, channels, kernel, classes);
        var bundle = new MaskBundle
        {
            Task = "intentconv",
            BackboneDigest = platform.BackboneHex,
            HeadKind = MaskHeadKind.Classifier,
            Labels = [.. ServingPlatform.Speakers],
            Masks = TestBundles.FfnMasks(config, seed: 92),
            Heads = [.. tensors.Select(t => new HeadTensor(t.Key, t.Value.Shape, t.Value.Values))],
        };
        var (request, x) = await PublishWithAllStatesAsync(bundle, config, weights, classes);
        var values = tensors.ToDictionary(t => t.Key, t => t.Value.Values);
        var expected = Inference.Heads.ConvMaxReference.Probabilities(values, Inference.Heads.ConvMaxReference.Pooled(values, x, h, l, channels, kernel));

        // Act
        var response = await platform.Speech.RecognizeAsync(request, cancellationToken: Token);

        // Assert
        AssertClassesOfTheHead(response, expected, precision: 4);
        Assert.Equal("asr", response.Results[1].Route.Task);
    }

    [Fact]
    public async Task Recognize_ConvMaxEnsembleRoute_ScoresAreTheMeanOfItsMembersHeads()
    {
        // Arrange: a conv_max ensemble of three random members (head.members.{k}.*); the expected scores are the mean of
        // each member's formula written out (ConvMaxReference) on the whole graph's all states.
        var (config, weights) = await BackboneCheckpoint.LoadAsync(platform.BackboneDirectory, Token);
        var (h, l, channels, kernel) = (config.HiddenSize, config.NumHiddenLayers, 10, 3);
        var classes = ServingPlatform.Speakers.Count;
        var random = new Random(95);
        var members = Enumerable.Range(0, 3).Select(_ => RandomConvMaxHead(random, config, channels, kernel, classes)).ToList();
        var bundle = new MaskBundle
        {
            Task = "intentensemble",
            BackboneDigest = platform.BackboneHex,
            HeadKind = MaskHeadKind.Classifier,
            Labels = [.. ServingPlatform.Speakers],
            Masks = TestBundles.FfnMasks(config, seed: 96),
            Heads = [.. members.SelectMany((m, k) => m.Select(t => new HeadTensor($"head.members.{k}.{t.Key["head.".Length..]}", t.Value.Shape, t.Value.Values)))],
        };
        var (request, x) = await PublishWithAllStatesAsync(bundle, config, weights, classes);
        var byMember = members.Select(m => m.ToDictionary(t => t.Key, t => t.Value.Values))
            .Select(values => Inference.Heads.ConvMaxReference.Probabilities(values, Inference.Heads.ConvMaxReference.Pooled(values, x, h, l, channels, kernel)))
            .ToList();
        var expected = Enumerable.Range(0, classes).Select(c => byMember.Average(p => p[c])).ToArray();

        // Act
        var response = await platform.Speech.RecognizeAsync(request, cancellationToken: Token);

        // Assert
        AssertClassesOfTheHead(response, expected, precision: 4);
    }

    // A conv_max head's tensors (head.* names) with values away from the initialization, so every part takes part.
    private static Dictionary<string, (long[] Shape, float[] Values)> RandomConvMaxHead(Random random, Wav2Vec2Config config, int channels, int kernel, int classes)
    {
        var (h, l) = (config.HiddenSize, config.NumHiddenLayers);
        float[] Values(int n, double center, double spread) => [.. Enumerable.Range(0, n).Select(_ => (float)(center + (spread * ((2 * random.NextDouble()) - 1))))];
        return new Dictionary<string, (long[] Shape, float[] Values)>
        {
            ["head.layer_logits"] = ([l + 1], Values(l + 1, 0, 1.5)),
            ["head.norm.weight"] = ([h], Values(h, 1, 0.3)),
            ["head.norm.bias"] = ([h], Values(h, 0, 0.3)),
            ["head.conv.weight"] = ([channels, h, kernel], Values(channels * h * kernel, 0, 0.2)),
            ["head.conv.bias"] = ([channels], Values(channels, 0, 0.1)),
            ["head.proj.weight"] = ([classes, channels], Values(classes * channels, 0, 1.0)),
            ["head.proj.bias"] = ([classes], Values(classes, 0, 0.2)),
        };
    }

    // softmax(W · (f - mean) / std + b), f = [mean_t x | population std_t x].
    private static double[] ExpectedScores(float[,] x, float[] normMean, float[] normStd, float[] weight, float[] bias)
    {
        int frames = x.GetLength(0), width = x.GetLength(1);
        var z = new double[2 * width];
        for (var w = 0; w < width; w++)
        {
            var column = Enumerable.Range(0, frames).Select(t => (double)x[t, w]).ToArray();
            var mean = column.Average();
            var std = Math.Sqrt(column.Select(v => (v - mean) * (v - mean)).Sum() / frames);
            z[w] = (mean - normMean[w]) / normStd[w];
            z[width + w] = (std - normMean[width + w]) / normStd[width + w];
        }

        var logits = bias.Select((b, c) => b + z.Select((v, i) => v * weight[(c * z.Length) + i]).Sum()).ToArray();
        var exp = logits.Select(l => Math.Exp(l - logits.Max())).ToArray();
        return exp.Select(e => e / exp.Sum()).ToArray();
    }

    // The first result lists every class, in the order of the expected probabilities, with those scores; a second route answered too.
    private static void AssertClassesOfTheHead(RecognizeResponse response, double[] expected, int precision)
    {
        Assert.Equal(2, response.Results.Count);
        var served = response.Results[0].Classification.Classes;
        var order = Enumerable.Range(0, expected.Length).OrderByDescending(c => expected[c]).ToList();
        Assert.Equal(order.Select(c => ServingPlatform.Speakers[c]), served.Select(c => c.ClassName));
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[order[i]], served[i].Score, precision);
        }

        Assert.True(expected.Max() - expected.Min() > 0.05, "the head should separate the classes");
    }

    // Publishes a classifier bundle as production and returns a request for it (every class, an asr route beside it)
    // with the all-states features of its audio from the whole graph under the bundle's masks.
    private async Task<(RecognizeRequest Request, float[,] States)> PublishWithAllStatesAsync(
        MaskBundle bundle, Wav2Vec2Config config, Dictionary<string, WeightTensor> weights, int classes)
    {
        await platform.Registry.PublishAsync(bundle, "production", Token);
        var request = Request(bundle.Task, "und");
        request.Config.MaxClasses = classes;
        request.AdditionalRoutes.Add(new RouteSelector { Task = "asr", LanguageCode = "en" });
        var samples = AudioDecoder.Decode(request.Audio.Content.Span, Core.Audio.AudioEncoding.Linear16, 16000).Samples;
        var mask = bundle.Masks.ToDictionary(m => Wav2Vec2Weights.CanonicalName(m.Name), m => m.Unpack());
        using var session = OnnxBackboneSession.Create(config, weights, mask, new OnnxBuildOptions { HiddenStates = true });
        return (request, session.RunFrames([samples])[0].States!);
    }
}
