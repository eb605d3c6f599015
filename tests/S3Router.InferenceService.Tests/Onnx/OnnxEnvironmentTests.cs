using S3Router.InferenceService.Onnx;
using S3Router.Testing;

namespace S3Router.InferenceService.Tests.Onnx;

/// <summary>
/// Sessions on ONNX Runtime's global thread pool; the environment has the pool of <see cref="OnnxEnvironmentFixture"/>.
/// Thread counts are process-wide: these run alone, after the parallel tests.
/// </summary>
[Collection(NativeMemoryCollection.Name)]
public sealed class OnnxEnvironmentTests
{
    private const int Sessions = 6;
    private const double Tolerance = 1e-5;

    [Fact]
    public void TryUseGlobalThreadPool_SamePoolAgain_TrueAndAnotherPool_False()
    {
        // Act
        var same = OnnxEnvironment.TryUseGlobalThreadPool(OnnxEnvironmentFixture.IntraOpThreads, spinning: true);
        var otherSize = OnnxEnvironment.TryUseGlobalThreadPool(OnnxEnvironmentFixture.IntraOpThreads + 1, spinning: true);
        var otherSpinning = OnnxEnvironment.TryUseGlobalThreadPool(OnnxEnvironmentFixture.IntraOpThreads, spinning: false);

        // Assert: the environment keeps the pool it was made with.
        Assert.True(same);
        Assert.False(otherSize);
        Assert.False(otherSpinning);
        Assert.Equal((OnnxEnvironmentFixture.IntraOpThreads, true), OnnxEnvironment.GlobalThreadPool);
    }

    [Fact]
    public void CreateSessionOptions_GlobalThreadPool_SessionsStartNoThreadsAndComputeTheSame()
    {
        // Arrange
        var config = TinyConfigs.ByStyle(false);
        var weights = TestWeights.For(config, seed: 91);
        var frames = new float[7, config.HiddenSize];
        frames[3, 5] = 1f;
        using var reference = OnnxEncoderSession.Create(config, weights, options: new OnnxEngineOptions { IntraOpThreads = 1 });
        var expected = reference.Run([frames])[0];
        var before = Threads();

        // Act: six sessions of two threads each on the global pool, all alive at once.
        var sessions = Enumerable.Range(0, Sessions)
            .Select(_ => OnnxEncoderSession.Create(config, weights, options: new OnnxEngineOptions { IntraOpThreads = 2, GlobalThreadPool = true }))
            .ToList();
        var outputs = sessions.Select(s => s.Run([frames])[0]).ToList();
        var grown = Threads() - before;
        sessions.ForEach(s => s.Dispose());

        // Assert: with a pool each, the six sessions would have started six worker threads.
        Assert.True(grown < Sessions, $"{grown} threads more with {Sessions} sessions on the global pool");
        Assert.All(outputs, output => Assert.True(Numerics.RelativeError(output, expected) < Tolerance));
    }

    [Fact]
    public void CreateSessionOptions_PerSessionThreads_EachSessionStartsItsWorker()
    {
        // Arrange: the control of the test above (the thread count does see sessions' workers).
        var config = TinyConfigs.ByStyle(false);
        var weights = TestWeights.For(config, seed: 92);
        var before = Threads();

        // Act
        var sessions = Enumerable.Range(0, Sessions)
            .Select(_ => OnnxEncoderSession.Create(config, weights, options: new OnnxEngineOptions { IntraOpThreads = 2 }))
            .ToList();
        var grown = Threads() - before;
        sessions.ForEach(s => s.Dispose());

        // Assert
        Assert.True(grown >= Sessions, $"{grown} threads more with {Sessions} sessions of their own pools");
    }

    private static int Threads() => Directory.GetDirectories("/proc/self/task").Length;
}
