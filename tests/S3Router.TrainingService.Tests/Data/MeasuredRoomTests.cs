using S3Router.Core.Audio;
using S3Router.Core.Errors;
using S3Router.TrainingService.Data;

namespace S3Router.TrainingService.Tests.Data;

public sealed class MeasuredRoomTests : IDisposable
{
    private const int Rate = 16_000;
    private readonly string _root = Directory.CreateTempSubdirectory("s3r-rir-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void Load_FolderOfResponses_SortedByPathResampledFromTheirRateWithTheDirectPathFoundAndTheQuietTailCut()
    {
        // Arrange: an 8 kHz response whose direct path arrives after 40 samples (5 ms), with a second of silence after
        // its tail, and a 16 kHz one in a subfolder.
        var late = new float[8_000 + 400];
        late[40] = 0.9f;
        for (var n = 41; n < 400; n++)
        {
            late[n] = 0.3f * (float)Math.Exp(-(n - 40) / 50.0) * (n % 2 == 0 ? 1 : -1);
        }
        Write("late.wav", late, 8_000);
        Write(Path.Combine("hall", "direct.WAV"), [0.5f, 0.25f, 0.125f], Rate);

        // Act
        var rooms = MeasuredRoom.Load(_root);

        // Assert
        Assert.Equal(["hall/direct.WAV", "late.wav"], rooms.Select(r => r.Name));
        Assert.All(rooms, r => Assert.Matches("^[0-9a-f]{12}$", r.Digest));
        Assert.Equal(0, rooms[0].Delay);
        Assert.InRange(rooms[1].Delay, 79, 81);
        Assert.InRange(rooms[1].Response.Length, 600, 900); // the tail, at 16 kHz, without the second of silence
        Assert.Equal($"rir:late.wav@{rooms[1].Digest}", rooms[1].Key);
    }

    [Fact]
    public void Apply_DelayedImpulse_LeavesTheUtteranceWhereItWas()
    {
        var speech = Enumerable.Range(0, 4_000).Select(i => (float)(0.3 * Math.Sin(i * 0.07))).ToArray();
        var response = new float[200];
        response[120] = 0.5f;

        var heard = new MeasuredRoom("delta.wav", "000000000000", response, 120).Apply(speech, new Random(1));

        Assert.Equal(speech.Length, heard.Length);
        Assert.All(speech.Zip(heard), p => Assert.Equal(p.First, p.Second, 5));
    }

    [Fact]
    public void Apply_EchoAfterTheDirectPath_AddsTheEchoAtItsDelayAndKeepsTheLevel()
    {
        var speech = Enumerable.Range(0, 4_000).Select(i => (float)(0.3 * Math.Sin(i * 0.07) * Math.Sin(i * 0.003))).ToArray();
        var response = new float[300];
        response[50] = 1f;
        response[50 + 160] = 0.5f;

        var heard = new MeasuredRoom("echo.wav", "000000000000", response, 50).Apply(speech, new Random(1));

        var echoed = speech.Select((x, i) => x + (i >= 160 ? 0.5 * speech[i - 160] : 0)).ToArray();
        var scale = Math.Sqrt(speech.Sum(x => (double)x * x) / echoed.Sum(x => x * x));
        Assert.All(echoed.Zip(heard), p => Assert.Equal(p.First * scale, p.Second, 4));
    }

    [Fact]
    public void Load_MissingOrEmptyFolder_InvalidInputOnRirDir()
    {
        var missing = Assert.Throws<InvalidInputException>(() => MeasuredRoom.Load(Path.Combine(_root, "nowhere")));
        var empty = Assert.Throws<InvalidInputException>(() => MeasuredRoom.Load(_root));

        Assert.Equal("rir-dir", Assert.Single(missing.Violations).Field);
        Assert.Contains("does not exist", missing.Message, StringComparison.Ordinal);
        Assert.Contains("holds no .wav file", empty.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("corrupt", "is not a readable WAV")]
    [InlineData("silent", "is silent")]
    [InlineData("recording", "lasts 5 s above −80 dB of its peak; at most 4 s is taken")]
    public void Load_BadResponse_InvalidInputNamingTheFile(string kind, string reason)
    {
        Write("good.wav", [1f, 0.5f], Rate);
        var random = new Random(3);
        switch (kind)
        {
            case "corrupt":
                File.WriteAllText(Path.Combine(_root, "bad.wav"), "not audio");
                break;
            case "silent":
                Write("bad.wav", new float[100], Rate);
                break;
            default:
                Write("bad.wav", [.. Enumerable.Range(0, 5 * Rate).Select(_ => (float)(random.NextDouble() - 0.5))], Rate);
                break;
        }

        var error = Assert.Throws<InvalidInputException>(() => MeasuredRoom.Load(_root));

        Assert.Equal("rir-dir", Assert.Single(error.Violations).Field);
        Assert.Contains($"impulse response 'bad.wav' {reason}", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0, 1, "an impulse response folder (rir-dir) is for room copies")]
    [InlineData(3, 2, "3 room copies need as many impulse responses")]
    public void MeasuredRooms_TooFewCopiesOrResponses_InvalidInputOnRoomCopies(int copies, int responses, string message)
    {
        for (var k = 0; k < responses; k++)
        {
            Write($"r{k}.wav", [1f, 0.5f / (k + 1)], Rate);
        }
        var options = new CorpusOptions { OutputDirectory = _root, RoomCopies = copies, ImpulseResponseDirectory = _root };

        var error = Assert.Throws<InvalidInputException>(() => CorpusBuilder.MeasuredRooms(options));

        Assert.Equal("room-copies", Assert.Single(error.Violations).Field);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    private void Write(string name, float[] samples, int rate)
    {
        var path = Path.Combine(_root, name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, WavWriter.Write(samples, rate));
    }
}
