using S3Router.TrainingService.Training.Pretraining;

namespace S3Router.TrainingService.Tests.Training.Pretraining;

public sealed class MfccTests
{
    // torchaudio.compliance.kaldi.mfcc(x, sample_frequency=16000, frame_length=25, frame_shift=20, dither=0.0,
    // use_energy=False, num_ceps=13, num_mel_bins=23) on Signal() (torchaudio 2.x, Debian's /usr/bin/python3).
    private static readonly float[] ReferenceFrame0 =
        [-36.82196f, 77.73978f, -30.33098f, -60.56179f, 13.34078f, 5.78447f, -84.96146f, -114.13798f, -30.57455f, 65.94998f, 54.85233f, -18.53791f, -31.22757f];

    private static readonly float[] ReferenceFrame7 =
        [-24.64506f, 38.04790f, -61.54317f, 40.67036f, -72.33071f, 2.78493f, 0.11278f, -231.76233f, -36.12281f, 110.80528f, 16.01084f, 13.12625f, 5.73989f];

    private static readonly float[] ReferenceFrame13 =
        [-24.72462f, 19.49185f, 28.68822f, -109.19743f, 40.88533f, 34.62371f, -162.92422f, -44.24769f, -148.79720f, 150.18788f, -0.85573f, 52.44334f, -36.80436f];

    [Fact]
    public void Compute_ThreeToneSignal_MatchesKaldiReference()
    {
        // Arrange
        var mfcc = new Mfcc();

        // Act
        var result = mfcc.Compute(Signal());

        // Assert: torchaudio works in float32, we in double; 1% of the value or 0.05 absolute covers the rounding.
        Assert.Equal(14, result.GetLength(0));
        Assert.Equal(13, result.GetLength(1));
        foreach (var (frame, expected) in new[] { (0, ReferenceFrame0), (7, ReferenceFrame7), (13, ReferenceFrame13) })
        {
            for (var c = 0; c < 13; c++)
            {
                var tolerance = Math.Max(0.05, 0.01 * Math.Abs(expected[c]));
                Assert.True(Math.Abs(result[frame, c] - expected[c]) <= tolerance, $"frame {frame} coefficient {c}: {result[frame, c]} vs {expected[c]}");
            }
        }
    }

    [Theory]
    [InlineData(399, 0)]
    [InlineData(400, 1)]
    [InlineData(719, 1)]
    [InlineData(720, 2)]
    [InlineData(16_000, 49)]
    public void FrameCount_Samples_MatchesBackboneFrameRate(int samples, int expected)
    {
        // Arrange
        var mfcc = new Mfcc();

        // Act
        var frames = mfcc.FrameCount(samples);

        // Assert
        Assert.Equal(expected, frames);
        Assert.Equal(expected, mfcc.ComputeWithDeltas(new float[samples]).GetLength(0));
    }

    [Fact]
    public void ComputeWithDeltas_LinearRamp_DeltaIsSlopeAndDeltaDeltaZeroInside()
    {
        // Arrange: a feature rising by 1 per frame.
        var x = new float[10, 1];
        for (var t = 0; t < 10; t++)
        {
            x[t, 0] = t;
        }

        // Act
        var delta = Mfcc.Deltas(x);
        var deltaDelta = Mfcc.Deltas(delta);

        // Assert
        for (var t = 2; t < 8; t++)
        {
            Assert.Equal(1f, delta[t, 0], 5);
        }

        Assert.Equal(0f, deltaDelta[5, 0], 5);
        Assert.True(delta[0, 0] < 1f); // edges are repeated, so the slope flattens there
    }

    private static float[] Signal()
    {
        var samples = new float[4800];
        for (var i = 0; i < samples.Length; i++)
        {
            samples[i] = (float)((0.5 * Math.Sin(2 * Math.PI * 440 * i / 16000))
                + (0.3 * Math.Sin((2 * Math.PI * 1375 * i / 16000) + 0.3))
                + (0.1 * Math.Sin(2 * Math.PI * (200 + (10.0 * i / 16000 * 1000)) * i / 16000)));
        }

        return samples;
    }
}
