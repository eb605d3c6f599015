using S3Router.Core.Errors;
using S3Router.InferenceService.Onnx;
using S3Router.Testing;

namespace S3Router.InferenceService.Tests.Onnx;

public sealed class OnnxBackboneSessionTests
{
    private const double Tolerance = 1e-4;
    private static readonly int[] Lengths = [1600, 2345, 3001, 999];

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Run_VariableLengths_ReturnsFramesFromConvArithmetic(bool stable)
    {
        var config = TinyConfigs.ByStyle(stable);
        using var session = OnnxBackboneSession.Create(config, TestWeights.For(config, seed: 3));
        var audio = Lengths.Select((n, i) => Signals.Noise(n, i, 0.3)).ToArray();

        var outputs = session.Run(audio);

        Assert.Equal(Lengths.Length, outputs.Length);
        for (var i = 0; i < Lengths.Length; i++)
        {
            // kernels 10,3,3 strides 5,2,2: 1600 samples -> 319 -> 159 -> 79 frames.
            Assert.Equal(Wav2Vec2OnnxBuilder.OutputFrames(config, Lengths[i]), outputs[i].GetLength(0));
            Assert.Equal(config.HiddenSize, outputs[i].GetLength(1));
        }

        Assert.Equal(79, outputs[0].GetLength(0));
        Assert.All(outputs, o => Assert.All(o.Cast<float>(), v => Assert.True(float.IsFinite(v))));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Run_BatchOfDifferentLengths_MatchesEachUtteranceAlone(bool stable)
    {
        var config = TinyConfigs.ByStyle(stable);
        using var session = OnnxBackboneSession.Create(config, TestWeights.For(config, seed: 4));
        var audio = Lengths.Select((n, i) => Signals.Noise(n, 10 + i, 0.3)).ToArray();

        var batched = session.Run(audio);
        var alone = audio.Select(a => session.Run([a])[0]).ToArray();

        for (var i = 0; i < audio.Length; i++)
        {
            Assert.True(Numerics.RelativeError(batched[i], alone[i]) < Tolerance, $"utterance {i} differs");
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Create_WithRouteMask_EqualsUnmaskedModelOnMaskedWeights(bool stable)
    {
        var config = TinyConfigs.ByStyle(stable);
        var weights = TestWeights.For(config, seed: 5);
        var mask = RandomMask(weights, seed: 6, keep: 0.7,
            "wav2vec2.encoder.layers.0.feed_forward.intermediate_dense.weight",
            "wav2vec2.encoder.layers.1.feed_forward.output_dense.weight",
            "encoder.layers.1.attention.q_proj.weight");
        var multiplied = new Dictionary<string, WeightTensor>(weights);
        foreach (var (name, keep) in mask)
        {
            var key = name.StartsWith("wav2vec2.", StringComparison.Ordinal) ? name : "wav2vec2." + name;
            multiplied[key] = weights[key] with { Data = weights[key].Data.Select((w, i) => keep[i] ? w : 0f).ToArray() };
        }

        var audio = new[] { Signals.Noise(2345, 7, 0.3), Signals.Noise(1600, 8, 0.3) };
        using var masked = OnnxBackboneSession.Create(config, weights, mask);
        using var reference = OnnxBackboneSession.Create(config, multiplied);
        using var unmasked = OnnxBackboneSession.Create(config, weights);

        var actual = masked.Run(audio);
        var expected = reference.Run(audio);
        var original = unmasked.Run(audio);

        for (var i = 0; i < audio.Length; i++)
        {
            Assert.True(Numerics.RelativeError(actual[i], expected[i]) < 1e-6, $"utterance {i} differs");
            Assert.True(Numerics.RelativeError(actual[i], original[i]) > 1e-3, "the mask had no effect");
        }
    }

    [Fact]
    public void Create_AllOnesMask_EqualsUnmasked()
    {
        var config = TinyConfigs.ByStyle(false);
        var weights = TestWeights.For(config, seed: 9);
        var mask = RandomMask(weights, seed: 0, keep: 1.0,
            "encoder.layers.0.feed_forward.intermediate_dense.weight", "encoder.layers.0.feed_forward.output_dense.weight");
        var audio = new[] { Signals.Noise(2000, 11, 0.3) };
        using var masked = OnnxBackboneSession.Create(config, weights, mask);
        using var unmasked = OnnxBackboneSession.Create(config, weights);

        var actual = masked.Run(audio)[0];
        var expected = unmasked.Run(audio)[0];

        Assert.Equal(expected.Cast<float>(), actual.Cast<float>());
    }

    [Fact]
    public void Create_MaskOfWrongSize_ThrowsFailedPrecondition()
    {
        var config = TinyConfigs.ByStyle(false);
        var mask = new Dictionary<string, bool[]> { ["encoder.layers.0.feed_forward.intermediate_dense.weight"] = new bool[10] };

        var error = Assert.Throws<FailedPreconditionException>(
            () => OnnxBackboneSession.Create(config, TestWeights.For(config, seed: 1), mask));

        Assert.Contains("has 10 elements", error.Message);
    }

    [Fact]
    public void Create_MaskForUnknownTensor_ThrowsFailedPrecondition()
    {
        var config = TinyConfigs.ByStyle(false);
        var mask = new Dictionary<string, bool[]> { ["encoder.layers.7.feed_forward.intermediate_dense.weight"] = new bool[2048] };

        Assert.Throws<FailedPreconditionException>(() => OnnxBackboneSession.Create(config, TestWeights.For(config, seed: 1), mask));
    }

    [Fact]
    public void Run_AudioShorterThanOneFrame_ThrowsInvalidInput()
    {
        var config = TinyConfigs.ByStyle(false);
        using var session = OnnxBackboneSession.Create(config, TestWeights.For(config, seed: 1));

        var error = Assert.Throws<InvalidInputException>(() => session.Run([Signals.Noise(2000, 1, 0.3), new float[10]]));

        Assert.Contains("Utterance 1 has 10 samples", error.Message);
    }

    private static Dictionary<string, bool[]> RandomMask(
        IReadOnlyDictionary<string, WeightTensor> weights, int seed, double keep, params string[] names)
    {
        var random = new Random(seed);
        return names.ToDictionary(
            n => n,
            n => Enumerable.Range(0, weights[n.StartsWith("wav2vec2.", StringComparison.Ordinal) ? n : "wav2vec2." + n].Data.Length)
                .Select(_ => random.NextDouble() < keep).ToArray());
    }
}
