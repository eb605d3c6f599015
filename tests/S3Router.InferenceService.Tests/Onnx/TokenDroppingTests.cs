using S3Router.Core.Masks;
using S3Router.InferenceService.Onnx;
using S3Router.Testing;

namespace S3Router.InferenceService.Tests.Onnx;

public sealed class TokenDroppingTests
{
    private const int Rate = 16_000;

    // Tiny base config: hop 20 samples, receptive field 40 samples.
    private static readonly (int Start, int End)[] Tones = [(4000, 8000), (11_200, 14_200)];

    [Fact]
    public void RunFrames_ToneAndSilence_KeepsEveryToneFrameAndDropsDeepSilence()
    {
        // Arrange
        var config = TinyConfigs.Base;
        var audio = ToneAndSilence(17_400, Tones);
        using var session = OnnxBackboneSession.Create(
            config, TestWeights.For(config, seed: 7), null, new OnnxBuildOptions { TokenDropping = new TokenDroppingSettings() });
        var frames = (int)Wav2Vec2OnnxBuilder.OutputFrames(config, audio.Length);
        int hop = config.FrameHopSamples, field = (int)Wav2Vec2OnnxBuilder.MinimumSamples(config);

        // Act
        var output = Assert.Single(session.RunFrames([audio]));

        // Assert
        var kept = output.FrameIndex!.ToHashSet();
        Assert.Equal(output.Hidden.GetLength(0), output.FrameIndex!.Length);
        Assert.True(output.FrameIndex.Zip(output.FrameIndex.Skip(1)).All(p => p.First < p.Second), "frame index ascending");
        var inTone = Enumerable.Range(0, frames).Where(t => Tones.Any(x => t * hop >= x.Start && (t * hop) + field <= x.End)).ToList();
        var deepSilence = Enumerable.Range(0, frames)
            .Where(t => !Tones.Any(x => ((t - 1) * hop) + 0 < x.End && ((t + 1) * hop) + field > x.Start)).ToList();
        Assert.NotEmpty(inTone);
        Assert.NotEmpty(deepSilence);
        Assert.All(inTone, t => Assert.Contains(t, kept));
        Assert.All(deepSilence, t => Assert.DoesNotContain(t, kept));
    }

    [Fact]
    public void RunFrames_BatchOfDifferentLengths_MatchesEachUtteranceAlone()
    {
        var config = TinyConfigs.Base;
        using var session = OnnxBackboneSession.Create(
            config, TestWeights.For(config, seed: 7), null, new OnnxBuildOptions { TokenDropping = new TokenDroppingSettings() });
        var a = ToneAndSilence(17_400, Tones);
        var b = ToneAndSilence(9_000, [(2000, 5000)]);

        var batch = session.RunFrames([a, b]);
        var alone = new[] { session.RunFrames([a])[0], session.RunFrames([b])[0] };

        for (var i = 0; i < 2; i++)
        {
            Assert.Equal(alone[i].FrameIndex, batch[i].FrameIndex);
            Assert.True(Numerics.RelativeError(batch[i].Hidden, alone[i].Hidden) < 1e-4);
        }
    }

    [Fact]
    public void RunFrames_PeriodicToneThenNoise_CollapsesRepeatsButKeepsNoise()
    {
        // 800 Hz has a period of exactly one hop (20 samples): every frame inside the tone sees the same samples.
        var config = TinyConfigs.Base;
        var audio = new float[8000];
        for (var i = 0; i < 4000; i++)
        {
            audio[i] = 0.5f * MathF.Sin(2 * MathF.PI * 800 * i / Rate);
        }

        Signals.Noise(4000, 3, 0.3).CopyTo(audio, 4000);
        var settings = new TokenDroppingSettings { SilenceDbfs = null, RepeatCosine = 0.999 };
        using var session = OnnxBackboneSession.Create(config, TestWeights.For(config, seed: 7), null, new OnnxBuildOptions { TokenDropping = settings });
        int hop = config.FrameHopSamples, field = (int)Wav2Vec2OnnxBuilder.MinimumSamples(config);

        var kept = Assert.Single(session.RunFrames([audio])).FrameIndex!;

        var toneFrames = Enumerable.Range(0, 400).Where(t => (t * hop) + field <= 4000).ToList();
        Assert.Equal(0, kept[0]);
        Assert.True(kept.Count(toneFrames.Contains) <= 2, $"kept {kept.Count(toneFrames.Contains)} of {toneFrames.Count} tone frames");
        var noiseFrames = Enumerable.Range(0, (int)Wav2Vec2OnnxBuilder.OutputFrames(config, audio.Length)).Where(t => t * hop >= 4000).ToList();
        Assert.All(noiseFrames, t => Assert.Contains(t, kept));
    }

    [Fact]
    public void RunFrames_NoDropping_NoFrameIndex()
    {
        var config = TinyConfigs.Base;
        using var session = OnnxBackboneSession.Create(config, TestWeights.For(config, seed: 7), null,
            new OnnxBuildOptions { TokenDropping = new TokenDroppingSettings { SilenceDbfs = null } });

        var output = Assert.Single(session.RunFrames([ToneAndSilence(4000, [(1000, 2000)])]));

        Assert.False(session.DropsTokens);
        Assert.Null(output.FrameIndex);
        Assert.Equal(Wav2Vec2OnnxBuilder.OutputFrames(config, 4000), output.Hidden.GetLength(0));
    }

    [Fact]
    public void RunFrames_AllSilence_KeepsOneFrame()
    {
        var config = TinyConfigs.Base;
        using var session = OnnxBackboneSession.Create(
            config, TestWeights.For(config, seed: 7), null, new OnnxBuildOptions { TokenDropping = new TokenDroppingSettings() });

        var output = Assert.Single(session.RunFrames([new float[4000]]));

        Assert.Equal([0], output.FrameIndex!);
        Assert.Equal(1, output.Hidden.GetLength(0));
    }

    private static float[] ToneAndSilence(int samples, (int Start, int End)[] tones)
    {
        var audio = new float[samples];
        foreach (var (start, end) in tones)
        {
            for (var i = start; i < end; i++)
            {
                audio[i] = 0.5f * MathF.Sin(2 * MathF.PI * 440 * i / Rate);
            }
        }

        return audio;
    }
}
