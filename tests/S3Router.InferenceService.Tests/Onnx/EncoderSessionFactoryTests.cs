using S3Router.Core.Errors;
using S3Router.Core.Masks;
using S3Router.InferenceService.Onnx;
using S3Router.Testing;

namespace S3Router.InferenceService.Tests.Onnx;

[Collection(NativeMemoryCollection.Name)]
public sealed class EncoderSessionFactoryTests
{
    private const double Tolerance = 1e-5;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Create_PackedMask_SameOutputAsTheEncoderBuiltFromBoolMasks(bool stable)
    {
        // Arrange
        var config = TinyConfigs.ByStyle(stable);
        var weights = Wav2Vec2Weights.Normalize(TestWeights.For(config, seed: 61));
        var mask = TestWeights.RandomFfnMask(TestWeights.For(config, seed: 61), config.NumHiddenLayers, seed: 62);
        var frames = Frames(config.HiddenSize, 9, seed: 63);
        using var factory = new EncoderSessionFactory(config, weights, new OnnxEngineOptions { IntraOpThreads = 1 });
        using var reference = OnnxEncoderSession.Create(config, weights, mask);
        using var baseSession = factory.Create(null).Session;

        // Act
        using var session = factory.Create(Packed(mask, weights)).Session;

        // Assert: the masked session matches; the unmasked one built before it (sharing the same weights) is untouched.
        using var unmaskedReference = OnnxEncoderSession.Create(config, weights);
        Assert.True(Numerics.RelativeError(session.Run([frames])[0], reference.Run([frames])[0]) < Tolerance);
        Assert.True(Numerics.RelativeError(baseSession.Run([frames])[0], unmaskedReference.Run([frames])[0]) < Tolerance);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Create_WithOrWithoutCpuMemoryArena_SameOutputAsTheEncoderBuiltFromBoolMasks(bool arena)
    {
        // Arrange
        var config = TinyConfigs.ByStyle(false);
        var weights = Wav2Vec2Weights.Normalize(TestWeights.For(config, seed: 81));
        var mask = TestWeights.RandomFfnMask(TestWeights.For(config, seed: 81), config.NumHiddenLayers, seed: 82);
        var frames = Frames(config.HiddenSize, 9, seed: 83);
        using var factory = new EncoderSessionFactory(config, weights, new OnnxEngineOptions { IntraOpThreads = 1, CpuMemoryArena = arena });
        using var reference = OnnxEncoderSession.Create(config, weights, mask);
        using var baseSession = factory.Create(null).Session;

        // Act: two runs, so a second run reuses (or, without the arena, reallocates) the first run's buffers.
        using var session = factory.Create(Packed(mask, weights)).Session;
        var first = session.Run([frames])[0];
        var second = session.Run([frames])[0];

        // Assert
        var expected = reference.Run([frames])[0];
        Assert.True(Numerics.RelativeError(first, expected) < Tolerance);
        Assert.True(Numerics.RelativeError(second, expected) < Tolerance);
    }

    [Fact]
    public void Create_MaskThatRemovesFfnUnits_SameOutputAsTheShrunkEncoder()
    {
        // Arrange: layer 0 loses 5 FFN units (their output_dense columns all masked), so its tensors are shrunk.
        var config = TinyConfigs.ByStyle(false);
        var weights = Wav2Vec2Weights.Normalize(TestWeights.For(config, seed: 64));
        var mask = TestWeights.RandomFfnMask(TestWeights.For(config, seed: 64), config.NumHiddenLayers, seed: 65);
        var outputDense = mask["encoder.layers.0.feed_forward.output_dense.weight"];
        for (var row = 0; row < config.HiddenSize; row++)
        {
            for (var unit = 0; unit < 5; unit++)
            {
                outputDense[(row * config.IntermediateSize) + unit] = false;
            }
        }

        var frames = Frames(config.HiddenSize, 7, seed: 66);
        using var factory = new EncoderSessionFactory(config, weights, new OnnxEngineOptions { IntraOpThreads = 1 });
        using var reference = OnnxEncoderSession.Create(config, weights, mask);

        // Act
        var (session, bytes) = factory.Create(Packed(mask, weights));
        using var _ = session;

        // Assert: same numbers; the session owns more than the masked tensors (the shrunk biases too), less than everything.
        Assert.True(Numerics.RelativeError(session.Run([frames])[0], reference.Run([frames])[0]) < Tolerance);
        var maskedBytes = mask.Values.Sum(m => (long)m.Length * sizeof(float));
        Assert.InRange(bytes - factory.SessionOverheadBytes, maskedBytes - (5L * 2 * config.HiddenSize * sizeof(float)), factory.EncoderBytes - 1);
    }

    [Fact]
    public void Create_FfnMask_CostsItsMaskedTensorsPlusTheOverhead()
    {
        // Arrange
        var config = TinyConfigs.ByStyle(false);
        var weights = Wav2Vec2Weights.Normalize(TestWeights.For(config, seed: 67));
        var mask = TestWeights.RandomFfnMask(TestWeights.For(config, seed: 67), config.NumHiddenLayers, seed: 68);
        using var factory = new EncoderSessionFactory(config, weights, new OnnxEngineOptions { IntraOpThreads = 1 });

        // Act
        var (unmasked, unmaskedBytes) = factory.Create(null);
        var (masked, maskedBytes) = factory.Create(Packed(mask, weights));
        unmasked.Dispose();
        masked.Dispose();

        // Assert: the unmasked session pays for the shared tensors; a route only for the tensors its mask changed.
        Assert.Equal(factory.EncoderBytes + factory.SessionOverheadBytes, unmaskedBytes);
        // (plus the graph's few scalar constants, which no backbone tensor holds)
        var expected = mask.Values.Sum(m => (long)m.Length * sizeof(float)) + factory.SessionOverheadBytes;
        Assert.InRange(maskedBytes, expected, expected + 1024);
    }

    [Fact]
    public void Create_RepeatedBuilds_LeaveNoLargeManagedGarbage()
    {
        // Arrange: a wide FFN, so the masked tensors (1 MiB) outweigh the graph's own objects; one build first, which fills the pools.
        var config = TinyConfigs.Base with { IntermediateSize = 2048 };
        var weights = Wav2Vec2Weights.Normalize(TestWeights.For(config, seed: 69));
        var masks = Enumerable.Range(0, 3).Select(i => Packed(TestWeights.RandomFfnMask(TestWeights.For(config, seed: 69), config.NumHiddenLayers, seed: 70 + i), weights)).ToList();
        using var factory = new EncoderSessionFactory(config, weights, new OnnxEngineOptions { IntraOpThreads = 1 });
        factory.Create(masks[0]).Session.Dispose();
        var maskedBytes = masks[1].Sum(m => m.ElementCount * sizeof(float));

        // Act
        var before = GC.GetAllocatedBytesForCurrentThread();
        factory.Create(masks[1]).Session.Dispose();
        factory.Create(masks[2]).Session.Dispose();
        var perBuild = (GC.GetAllocatedBytesForCurrentThread() - before) / 2;

        // Assert: a build used to allocate its masks, masked weights, initializer copies and model (~4x the masked
        // bytes); now the pooled arrays are reused and what is left is the graph's small objects.
        Assert.True(perBuild < maskedBytes / 4, $"{perBuild} bytes allocated per build; the masked tensors are {maskedBytes} bytes");
        Assert.True(factory.PooledBytes >= maskedBytes, $"pooled {factory.PooledBytes} bytes");
    }

    [Fact]
    public void Create_BuildAndDisposeManySessions_LeavesNoLiveSession()
    {
        // Arrange
        var config = TinyConfigs.ByStyle(true);
        var weights = Wav2Vec2Weights.Normalize(TestWeights.For(config, seed: 73));
        var mask = Packed(TestWeights.RandomFfnMask(TestWeights.For(config, seed: 73), config.NumHiddenLayers, seed: 74), weights);
        var before = OnnxSessions.LiveSessions;

        // Act
        using (var factory = new EncoderSessionFactory(config, weights, new OnnxEngineOptions { IntraOpThreads = 1 }))
        {
            for (var i = 0; i < 4; i++)
            {
                using var session = factory.Create(i % 2 == 0 ? mask : null).Session;
                Assert.Equal(before + 1, OnnxSessions.LiveSessions);
            }
        }

        // Assert
        Assert.Equal(before, OnnxSessions.LiveSessions);
    }

    [Fact]
    public void Create_MaskOnAFrontendTensor_ThrowsFailedPrecondition()
    {
        // Arrange
        var config = TinyConfigs.ByStyle(false);
        var weights = Wav2Vec2Weights.Normalize(TestWeights.For(config, seed: 75));
        var projection = weights["feature_projection.projection.weight"];
        var mask = MaskTensor.FromBits("wav2vec2.feature_projection.projection.weight", projection.Shape, new bool[projection.Data.Length]);
        using var factory = new EncoderSessionFactory(config, weights, new OnnxEngineOptions { IntraOpThreads = 1 });

        // Act
        var error = Assert.Throws<FailedPreconditionException>(() => factory.Create([mask]));

        // Assert
        Assert.Contains("shared frontend", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(OnnxSpinning.Always)]
    [InlineData(OnnxSpinning.WhileRunning)]
    [InlineData(OnnxSpinning.Never)]
    public void Create_SpinningModeWithRoutesRunInTurn_SameOutputsAsTheDefaultSessions(OnnxSpinning spinning)
    {
        // Arrange: three routes of different masks run one after another, batch 1 and a padded batch of two lengths,
        // as mixed traffic does; 2 threads so the intra-op pool is used.
        var config = TinyConfigs.ByStyle(false);
        var raw = TestWeights.For(config, seed: 67);
        var weights = Wav2Vec2Weights.Normalize(raw);
        var masks = Enumerable.Range(0, 3).Select(i => TestWeights.RandomFfnMask(raw, config.NumHiddenLayers, seed: 68 + i)).ToList();
        var shorter = Frames(config.HiddenSize, 5, seed: 71);
        var longer = Frames(config.HiddenSize, 11, seed: 72);
        using var factory = new EncoderSessionFactory(config, weights, new OnnxEngineOptions { IntraOpThreads = 2, Spinning = spinning });
        var references = masks.Select(m => OnnxEncoderSession.Create(config, weights, m)).ToList();
        var sessions = masks.Select(m => factory.Create(Packed(m, weights)).Session).ToList();
        try
        {
            // Act
            var outputs = sessions.Select(s => (Single: s.Run([longer])[0], Batch: s.Run([shorter, longer]))).ToList();

            // Assert
            for (var i = 0; i < masks.Count; i++)
            {
                var expectedLonger = references[i].Run([longer])[0];
                var expectedShorter = references[i].Run([shorter])[0];
                Assert.True(Numerics.RelativeError(outputs[i].Single, expectedLonger) < Tolerance);
                Assert.True(Numerics.RelativeError(outputs[i].Batch[0], expectedShorter) < Tolerance);
                Assert.True(Numerics.RelativeError(outputs[i].Batch[1], expectedLonger) < Tolerance);
            }
        }
        finally
        {
            foreach (var session in references.Concat(sessions))
            {
                session.Dispose();
            }
        }
    }

    private static List<MaskTensor> Packed(Dictionary<string, bool[]> mask, IReadOnlyDictionary<string, WeightTensor> weights) =>
        mask.Select(m => MaskTensor.FromBits("wav2vec2." + m.Key, weights[m.Key].Shape, m.Value)).ToList();

    private static float[,] Frames(int hidden, int count, int seed)
    {
        var random = new Random(seed);
        var frames = new float[count, hidden];
        for (var t = 0; t < count; t++)
        {
            for (var h = 0; h < hidden; h++)
            {
                frames[t, h] = (float)(random.NextDouble() - 0.5);
            }
        }

        return frames;
    }
}
