using Microsoft.Extensions.Time.Testing;
using S3Router.InferenceService.Inference.Routes;

namespace S3Router.InferenceService.Tests.Inference.Routes;

/// <summary>When the memory settle runs: once loads went quiet, never during a load, at most once per interval.</summary>
public sealed class MemorySettlerTests
{
    private static readonly TimeSpan Delay = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(10);

    [Fact]
    public void Load_BurstThenQuiet_OneSettleAfterTheDelay()
    {
        var time = new FakeTimeProvider();
        var settles = 0;
        using var settler = new MemorySettler(Delay, Interval, time, () => settles++);

        for (var i = 0; i < 5; i++)
        {
            settler.Load().Dispose();
            Step(time, TimeSpan.FromMilliseconds(300));
        }

        var beforeQuiet = settles;
        Step(time, TimeSpan.FromSeconds(1));

        Assert.Equal(0, beforeQuiet);
        Assert.Equal(1, settles);
    }

    [Fact]
    public void Load_StillRunning_NoSettleUntilItFinishes()
    {
        var time = new FakeTimeProvider();
        var settles = 0;
        using var settler = new MemorySettler(Delay, Interval, time, () => settles++);
        settler.Load().Dispose();
        var running = settler.Load();

        Step(time, TimeSpan.FromSeconds(5));
        var whileRunning = settles;
        running.Dispose();
        Step(time, TimeSpan.FromSeconds(1));

        Assert.Equal(0, whileRunning);
        Assert.Equal(1, settles);
    }

    [Fact]
    public void Load_TwoBurstsCloseTogether_SecondSettleWaitsForTheInterval()
    {
        var time = new FakeTimeProvider();
        var settles = 0;
        using var settler = new MemorySettler(Delay, Interval, time, () => settles++);
        settler.Load().Dispose();
        Step(time, TimeSpan.FromSeconds(2)); // first settle at 1 s

        settler.Load().Dispose();
        Step(time, TimeSpan.FromSeconds(5)); // 7 s after the first settle
        var withinInterval = settles;
        Step(time, TimeSpan.FromSeconds(4)); // 11 s after it

        Assert.Equal(1, withinInterval);
        Assert.Equal(2, settles);
    }

    [Fact]
    public void Load_NoLoads_NeverSettles()
    {
        var time = new FakeTimeProvider();
        var settles = 0;
        using var settler = new MemorySettler(Delay, Interval, time, () => settles++);

        Step(time, TimeSpan.FromMinutes(5));

        Assert.Equal(0, settles);
    }

    [Fact]
    public void Load_DelayZero_SettlingOff()
    {
        var time = new FakeTimeProvider();
        var settles = 0;
        using var settler = new MemorySettler(TimeSpan.Zero, Interval, time, () => settles++);

        settler.Load().Dispose();
        Step(time, TimeSpan.FromMinutes(1));

        Assert.Equal(0, settles);
    }

    // In 100 ms steps, so a timer fires at (about) its due time, as on a real clock.
    private static void Step(FakeTimeProvider time, TimeSpan span)
    {
        for (var done = TimeSpan.Zero; done < span; done += TimeSpan.FromMilliseconds(100))
        {
            time.Advance(TimeSpan.FromMilliseconds(100));
        }
    }
}
