using System.Text.Json;
using System.Text.Json.Nodes;
using S3Router.Testing;
using S3Router.Testing.Processes;

namespace S3Router.EndToEnd.Tests;

/// <summary>`buf curl` (npm @bufbuild/buf, schema from server reflection) against the gateway process.</summary>
[Collection(PlatformCollection.Name)]
public sealed class BufCurlTests(ProcessPlatform platform)
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private static string Buf => Path.Combine(ServiceProcess.RepositoryRoot, ".tools", "node_modules", ".bin", "buf");

    [Fact]
    public async Task Recognize_SynthesizedWav_ResultNamesVersion1OfAsrEnWithTranscriptOverVocabulary()
    {
        // Arrange
        using var temp = new TempDirectory();
        var wav = await ExternalTool.SpeakAsync("the quick brown fox", temp.Combine("fox.wav"), Token);
        var request = new JsonObject
        {
            ["task"] = "asr",
            ["language_code"] = "en",
            ["config"] = new JsonObject { ["enable_word_time_offsets"] = true },
            ["audio"] = new JsonObject { ["content"] = Convert.ToBase64String(wav) },
        };

        // Act
        var (exitCode, stdout, stderr) = await CurlAsync("Recognize", request);

        // Assert
        Assert.True(exitCode == 0, stderr);
        var response = JsonNode.Parse(stdout)!;
        var result = Assert.Single(response["results"]!.AsArray())!;
        Assert.Equal("asr", (string?)result["route"]!["task"]);
        Assert.Equal("en", (string?)result["route"]!["languageCode"]);
        Assert.Equal("1", (string?)result["route"]!["version"]); // int64 is a JSON string
        Assert.Equal(platform.Published["asr/en"].Digest, (string?)result["route"]!["digest"]);
        var transcript = (string?)result["speech"]!["alternatives"]![0]!["transcript"] ?? "";
        Assert.All(transcript, c => Assert.Contains(c, "abcd "));
        Assert.StartsWith("1.", (string?)response["totalAudioDuration"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task ListRoutes_AfterPublishing_ListsBothRoutesWithTheirHeads()
    {
        // Act
        var (exitCode, stdout, stderr) = await CurlAsync("ListRoutes", new JsonObject());

        // Assert
        Assert.True(exitCode == 0, stderr);
        var routes = JsonNode.Parse(stdout)!["routes"]!.AsArray()
            .ToDictionary(r => $"{r!["route"]!["task"]}/{r["route"]!["languageCode"]}", r => r!);
        Assert.Equal(["asr/en", "speaker/und"], routes.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("HEAD_KIND_CTC", (string?)routes["asr/en"]["headKind"]);
        Assert.Equal(TestBundles.Vocabulary.Count, (int?)routes["asr/en"]["labelCount"]);
        Assert.Equal("HEAD_KIND_CLASSIFIER", (string?)routes["speaker/und"]["headKind"]);
        Assert.Equal(TestBundles.Speakers.Count, (int?)routes["speaker/und"]["labelCount"]);
        Assert.Equal("1", (string?)routes["speaker/und"]["aliases"]!["production"]);
    }

    [Fact]
    public async Task Recognize_EmptyAudio_BufReportsInvalidArgument()
    {
        // Arrange
        var request = new JsonObject { ["task"] = "asr", ["language_code"] = "en", ["audio"] = new JsonObject { ["content"] = "" } };

        // Act
        var (exitCode, _, stderr) = await CurlAsync("Recognize", request);

        // Assert
        Assert.NotEqual(0, exitCode);
        Assert.Contains("invalid_argument", stderr, StringComparison.Ordinal);
        Assert.Contains("audio", stderr, StringComparison.Ordinal);
    }

    private Task<(int ExitCode, string Stdout, string Stderr)> CurlAsync(string method, JsonObject request) =>
        ExternalTool.RunAsync(Buf,
        [
            "curl", "--http2-prior-knowledge", "--protocol", "grpc",
            "--data", request.ToJsonString(new JsonSerializerOptions { WriteIndented = false }),
            $"{platform.GatewayAddress}/s3router.v1.Speech/{method}",
        ], Token);
}
