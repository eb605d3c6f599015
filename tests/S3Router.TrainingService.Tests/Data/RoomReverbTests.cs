using S3Router.TrainingService.Data;

namespace S3Router.TrainingService.Tests.Data;

public sealed class RoomReverbTests
{
    private const int Rate = 16_000;

    [Fact]
    public void ImpulseResponse_TailFallsSixtyDecibelsOverRt60AndHoldsTheDirectToReverberantRatio()
    {
        var room = new RoomReverb(0.5, 6);

        var response = room.ImpulseResponse(new Random(1));

        Assert.Equal(0.5 * Rate, response.Length);
        Assert.Equal(1f, response[0]);
        var tail = response.Skip(1).Sum(v => (double)v * v);
        Assert.Equal(6, 10 * Math.Log10(1 / tail), 2);
        // Energy of the first and last 50 ms of the tail: 0.45 s apart, so 54 dB down at 60 dB per RT60.
        var window = Rate / 20;
        var early = response.Skip(1).Take(window).Sum(v => (double)v * v);
        var late = response.TakeLast(window).Sum(v => (double)v * v);
        Assert.InRange(10 * Math.Log10(early / late), 50, 58);
    }

    [Fact]
    public void Apply_KeepsLengthAndLevelAndSmearsAClickOverTheRoom()
    {
        var click = new float[Rate];
        click[1000] = 0.5f;

        var heard = new RoomReverb(0.3, 0).Apply(click, new Random(2));

        Assert.Equal(click.Length, heard.Length);
        Assert.Equal(0.5, Math.Sqrt(heard.Sum(v => (double)v * v)), 3);
        Assert.All(heard.Take(1000), v => Assert.Equal(0f, v));
        // At 0 dB direct-to-reverberant, half the energy arrives after the direct path.
        var direct = (double)heard[1000] * heard[1000];
        Assert.Equal(0.125, direct, 3);
        Assert.True(heard.Skip(1000 + (int)(0.2 * Rate)).Any(v => v != 0), "the tail reaches 200 ms after the click");
    }

    [Fact]
    public void Apply_SameRandomSeed_SameSamples()
    {
        var speech = Enumerable.Range(0, 8000).Select(i => (float)Math.Sin(i * 0.05) * 0.3f).ToArray();
        var room = new RoomReverb(0.25, 3);

        Assert.Equal(room.Apply(speech, new Random(7)), room.Apply(speech, new Random(7)));
        Assert.NotEqual(room.Apply(speech, new Random(7)), room.Apply(speech, new Random(8)));
    }

    [Fact]
    public void Draw_StaysInTheDocumentedRanges()
    {
        var random = new Random(3);
        var rooms = Enumerable.Range(0, 500).Select(_ => RoomReverb.Draw(random)).ToList();

        Assert.All(rooms, r => Assert.InRange(r.Rt60Seconds, RoomReverb.ShortestRt60, RoomReverb.LongestRt60));
        Assert.All(rooms, r => Assert.InRange(r.DirectToReverberantDecibels, RoomReverb.LeastDirect, RoomReverb.MostDirect));
        Assert.Contains(rooms, r => r.Rt60Seconds < 0.2);
        Assert.Contains(rooms, r => r.Rt60Seconds > 0.7);
    }

    [Fact]
    public void AugmentationKey_WithoutRoom_IsTheKeyEarlierCorporaNamedTheirFilesBy()
    {
        var plain = new Augmentation(1.1, -3, 20, true);

        Assert.Equal("speed1.1|gain-3|snr20|telTrue", plain.Key);
        Assert.Equal("speed1.1|gain-3|snr20|telTrue|room0.4/5.5", (plain with { Room = new RoomReverb(0.4, 5.5) }).Key);
        Assert.False((Augmentation.None with { Room = new RoomReverb(0.4, 5.5) }).IsIdentity);
    }
}
