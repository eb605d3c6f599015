using Microsoft.Extensions.Time.Testing;
using S3Router.Gateway.Auth;

namespace S3Router.Gateway.Tests.Auth;

public sealed class TokenBucketTests
{
    [Fact]
    public void TryAcquire_BurstUsedUp_RefusesWithTimeUntilNextPermit()
    {
        // Arrange
        var time = new FakeTimeProvider();
        var bucket = new TokenBucket(permitsPerSecond: 2, burst: 3, time);

        // Act
        var burst = Enumerable.Range(0, 3).Select(_ => bucket.TryAcquire(out TimeSpan _)).ToArray();
        var refused = bucket.TryAcquire(out var retryAfter);

        // Assert
        Assert.All(burst, Assert.True);
        Assert.False(refused);
        Assert.Equal(TimeSpan.FromSeconds(0.5), retryAfter);
    }

    [Fact]
    public void TryAcquire_TimePasses_RefillsAtTheConfiguredRate()
    {
        var time = new FakeTimeProvider();
        var bucket = new TokenBucket(permitsPerSecond: 1, burst: 1, time);
        Assert.True(bucket.TryAcquire(out TimeSpan _));

        time.Advance(TimeSpan.FromMilliseconds(400));
        var early = bucket.TryAcquire(out var retryAfter);
        time.Advance(TimeSpan.FromMilliseconds(600));
        var onTime = bucket.TryAcquire(out TimeSpan _);

        Assert.False(early);
        Assert.Equal(0.6, retryAfter.TotalSeconds, 6);
        Assert.True(onTime);
    }

    [Fact]
    public void TryAcquire_LongIdle_RefillsNoMoreThanTheBurst()
    {
        var time = new FakeTimeProvider();
        var bucket = new TokenBucket(permitsPerSecond: 10, burst: 5, time);
        time.Advance(TimeSpan.FromHours(1));

        var granted = Enumerable.Range(0, 8).Count(_ => bucket.TryAcquire(out TimeSpan _));

        Assert.Equal(5, granted);
    }

    [Fact]
    public void TryAcquire_ZeroRate_NeverLimits()
    {
        var bucket = new TokenBucket(permitsPerSecond: 0, burst: 1, new FakeTimeProvider());

        Assert.All(Enumerable.Range(0, 1000), _ => Assert.True(bucket.TryAcquire(out TimeSpan _)));
    }
}
