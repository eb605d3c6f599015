using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Microsoft.Extensions.Options;
using S3Router.Api.V1;
using S3Router.Core.Errors;
using S3Router.Gateway.Proxy;
using S3Router.Gateway.Tests.TestSupport;
using S3Router.Gateway.Validation;

namespace S3Router.Gateway.Tests.Validation;

public sealed class SpeechRequestValidatorTests
{
    private static readonly SpeechRequestValidator Validator = new(Options.Create(new GatewayOptions { MaxAdditionalRoutes = 2, MaxAudioBytes = 1024 }));

    private static string[] FieldsOf(Action act) =>
        Assert.Throws<InvalidInputException>(act).Violations.Select(v => v.Field).Order(StringComparer.Ordinal).ToArray();

    [Fact]
    public void Validate_GoodRequest_Passes()
    {
        var request = Requests.Recognize();
        request.MaskRef = "v3";
        request.AdditionalRoutes.Add(new RouteSelector { Task = "speaker", LanguageCode = "und", MaskRef = "sha256:" + new string('a', 64) });
        request.AdditionalRoutes.Add(new RouteSelector { Task = "intent", LanguageCode = "de-DE", MaskRef = "canary" });

        Validator.Validate(request);
    }

    [Fact]
    public void Validate_ManyBadFields_ReportsEveryViolationAtOnce()
    {
        // Arrange
        var request = new RecognizeRequest
        {
            Task = "ASR",
            LanguageCode = "english",
            MaskRef = "sha256:xyz",
            Config = new RecognitionConfig { MaxAlternatives = 11, BeamWidth = 65, MaxClasses = 101, SampleRateHertz = 100, AudioChannelCount = -1, Encoding = (AudioEncoding)42 },
        };

        // Act
        var fields = FieldsOf(() => Validator.Validate(request));

        // Assert
        Assert.Equal(
        [
            "audio", "config.audio_channel_count", "config.beam_width", "config.encoding", "config.max_alternatives",
            "config.max_classes", "config.sample_rate_hertz", "language_code", "mask_ref", "task",
        ], fields);
    }

    [Theory]
    [InlineData("", "task")]
    [InlineData("9asr", "task")]
    [InlineData("asr-x", "task")]
    [InlineData("asr\n", "task")]
    public void Validate_BadTask_NamesTheField(string task, string field)
    {
        var request = Requests.Recognize(task: task);

        Assert.Equal([field], FieldsOf(() => Validator.Validate(request)));
    }

    [Theory]
    [InlineData("en", true)]
    [InlineData("und", true)]
    [InlineData("cmn-Hans-CN", true)]
    [InlineData("", false)]
    [InlineData("EN", false)]
    [InlineData("e", false)]
    [InlineData("en_US", false)]
    public void Validate_Language_AcceptsBcp47OrUnd(string language, bool valid)
    {
        var request = Requests.Recognize(language: language);

        if (valid)
        {
            Validator.Validate(request);
        }
        else
        {
            Assert.Equal(["language_code"], FieldsOf(() => Validator.Validate(request)));
        }
    }

    [Theory]
    [InlineData("", true)]
    [InlineData("production", true)]
    [InlineData("canary-2", true)]
    [InlineData("12", true)]
    [InlineData("v12", true)]
    [InlineData("v0", false)]
    [InlineData("0", false)]
    [InlineData("v99999999999999999999", false)]
    [InlineData("sha256:ABCDEF", false)]
    [InlineData("../etc/passwd", false)]
    [InlineData("-alias", false)]
    public void Validate_MaskRef_AcceptsAliasVersionOrDigest(string maskRef, bool valid)
    {
        var request = Requests.Recognize();
        request.MaskRef = maskRef;

        if (valid)
        {
            Validator.Validate(request);
        }
        else
        {
            Assert.Equal(["mask_ref"], FieldsOf(() => Validator.Validate(request)));
        }
    }

    [Fact]
    public void Validate_EmptyOrTooLargeContent_ReportsAudioContent()
    {
        var empty = Requests.Recognize();
        empty.Audio.Content = ByteString.Empty;
        var large = Requests.Recognize();
        large.Audio.Content = ByteString.CopyFrom(new byte[1025]);

        Assert.Equal(["audio.content"], FieldsOf(() => Validator.Validate(empty)));
        var ex = Assert.Throws<InvalidInputException>(() => Validator.Validate(large));
        Assert.Contains("1024 bytes", ex.Message);
    }

    [Fact]
    public void Validate_RelativeUri_ReportsAudioUri()
    {
        var request = Requests.Recognize();
        request.Audio = new RecognitionAudio { Uri = "clip.wav" };

        Assert.Equal(["audio.uri"], FieldsOf(() => Validator.Validate(request)));
    }

    [Fact]
    public void Validate_AdditionalRoutesBadOrDuplicate_NamesTheIndex()
    {
        var request = Requests.Recognize();
        request.AdditionalRoutes.Add(new RouteSelector { Task = "asr", LanguageCode = "en" });
        request.AdditionalRoutes.Add(new RouteSelector { Task = "speaker", LanguageCode = "" });

        Assert.Equal(["additional_routes[0].task", "additional_routes[1].language_code"], FieldsOf(() => Validator.Validate(request)));
    }

    [Fact]
    public void Validate_TooManyAdditionalRoutes_ReportsTheList()
    {
        var request = Requests.Recognize();
        for (var i = 0; i < 3; i++)
        {
            request.AdditionalRoutes.Add(new RouteSelector { Task = $"t{i}", LanguageCode = "en" });
        }

        Assert.Equal(["additional_routes"], FieldsOf(() => Validator.Validate(request)));
    }

    public static TheoryData<string, RecognizeRequest> BadRequests()
    {
        var data = new TheoryData<string, RecognizeRequest>();
        var bad = Requests.Recognize(task: "ASR", language: "english");
        bad.MaskRef = "sha256:xyz";
        bad.Config.BeamWidth = 65;
        data.Add("route and config", bad);
        var large = Requests.Recognize();
        large.Audio.Content = ByteString.CopyFrom(new byte[1025]);
        data.Add("audio too large", large);
        var empty = Requests.Recognize();
        empty.Audio.Content = ByteString.Empty;
        data.Add("audio empty", empty);
        var uri = Requests.Recognize();
        uri.Audio = new RecognitionAudio { Uri = "clip.wav" };
        data.Add("relative uri", uri);
        var none = Requests.Recognize();
        none.Audio = null;
        data.Add("no audio", none);
        var routes = Requests.Recognize();
        routes.AdditionalRoutes.Add(new RouteSelector { Task = "asr", LanguageCode = "en" });
        routes.AdditionalRoutes.Add(new RouteSelector { Task = "speaker", LanguageCode = "" });
        data.Add("additional routes", routes);
        return data;
    }

    [Theory]
    [MemberData(nameof(BadRequests))]
    public void Validate_ForwardedBytes_SameErrorAsTheParsedRequest(string name, RecognizeRequest request)
    {
        // Act
        var parsed = Assert.Throws<InvalidInputException>(() => Validator.Validate(request));
        var forwarded = Assert.Throws<InvalidInputException>(() => Validator.Validate(ForwardedRecognizeRequest.Of(request)));

        // Assert
        Assert.Equal(parsed.Message, forwarded.Message);
        Assert.Equal(parsed.Violations, forwarded.Violations);
        Assert.NotEmpty(name);
    }

    [Fact]
    public void Validate_ForwardedGoodRequest_Passes()
    {
        var request = Requests.Recognize();
        request.AdditionalRoutes.Add(new RouteSelector { Task = "speaker", LanguageCode = "und" });

        Validator.Validate(ForwardedRecognizeRequest.Of(request));
    }

    [Fact]
    public void Validate_ForwardedMalformedBytes_InvalidInputForTheWholeRequest()
    {
        var ex = Assert.Throws<InvalidInputException>(() => Validator.Validate(ForwardedRecognizeRequest.Read([0x0A, 0x05, 0x61])));

        Assert.Empty(ex.Violations);
        Assert.StartsWith("The request is not a valid s3router.v1.RecognizeRequest: ", ex.Message);
    }

    [Fact]
    public void ValidateFirst_AudioBeforeConfig_ReportsStreamingConfig()
    {
        Assert.Equal(["streaming_config"], FieldsOf(() => Validator.ValidateFirst(Requests.Chunk())));
    }

    [Fact]
    public void ValidateFirst_BadConfigAndInterval_PrefixesStreamingConfig()
    {
        var first = Requests.StreamingConfig(task: "", language: "en");
        first.StreamingConfig.Config.BeamWidth = -1;
        first.StreamingConfig.InterimInterval = Duration.FromTimeSpan(TimeSpan.FromMilliseconds(100));

        Assert.Equal(
            ["streaming_config.config.beam_width", "streaming_config.interim_interval", "streaming_config.task"],
            FieldsOf(() => Validator.ValidateFirst(first)));
    }

    [Fact]
    public void ValidateFollowing_SecondConfig_ReportsStreamingConfig()
    {
        Assert.Throws<InvalidInputException>(() => SpeechRequestValidator.ValidateFollowing(Requests.StreamingConfig()));
        SpeechRequestValidator.ValidateFollowing(Requests.Chunk());
    }

    [Fact]
    public void Validate_ListRoutesFilters_AreOptionalButChecked()
    {
        SpeechRequestValidator.Validate(new ListRoutesRequest());

        Assert.Equal(["language_code", "page_size", "task"],
            FieldsOf(() => SpeechRequestValidator.Validate(new ListRoutesRequest { Task = "A", LanguageCode = "x", PageSize = 1001 })));
    }
}
