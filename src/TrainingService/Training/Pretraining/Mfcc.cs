namespace S3Router.TrainingService.Training.Pretraining;

/// <summary>
/// Kaldi-style MFCC (the recipe of <c>compute-mfcc-feats</c> with dither 0, snip_edges, no energy): per frame remove
/// the DC offset, pre-emphasis 0.97, Povey window, power spectrum of a 512-point FFT, triangular filters on the mel
/// scale 1127 ln(1 + f/700) from 20 Hz to Nyquist, log, orthonormal DCT-II keeping <see cref="Coefficients"/>,
/// cepstral liftering 22. Deltas and delta-deltas use the ±2 frame regression with edge frames repeated.
/// Defaults: 16 kHz, 25 ms window (400 samples) and a 20 ms hop (320 samples), the wav2vec2 frame rate, so frame t
/// covers samples [320 t, 320 t + 400) like the backbone's frame t.
/// </summary>
internal sealed class Mfcc
{
    private const int FftSize = 512;
    private const double PreEmphasis = 0.97;
    private const double Lifter = 22;
    private const double LowHertz = 20;
    private const double FloatEpsilon = 1.1920928955078125e-7; // Kaldi's log floor (FLT_EPSILON)

    private readonly double[] _window;
    private readonly double[][] _filters; // [bin][fft bin 0..FftSize/2]
    private readonly int[] _filterStart;
    private readonly double[,] _dct; // [coefficient, bin]
    private readonly double[] _cos;
    private readonly double[] _sin;
    private readonly int[] _bitReverse;

    public Mfcc(int sampleRate = 16_000, int windowSamples = 400, int hopSamples = 320, int melBins = 23, int coefficients = 13)
    {
        if (windowSamples < 2 || windowSamples > FftSize || hopSamples < 1 || melBins < 2 || coefficients < 1 || coefficients > melBins)
        {
            throw new ArgumentOutOfRangeException(nameof(windowSamples), "MFCC settings out of range.");
        }

        (SampleRate, WindowSamples, HopSamples, MelBins, Coefficients) = (sampleRate, windowSamples, hopSamples, melBins, coefficients);
        _window = new double[windowSamples];
        for (var n = 0; n < windowSamples; n++)
        {
            _window[n] = Math.Pow(0.5 - (0.5 * Math.Cos(2 * Math.PI * n / (windowSamples - 1))), 0.85);
        }

        // Triangles in the mel domain (Kaldi's MelBanks): bin b spans mel points b, b+1, b+2 of melBins+2 equally spaced ones.
        static double Mel(double hz) => 1127.0 * Math.Log(1 + (hz / 700.0));
        var (lowMel, highMel) = (Mel(LowHertz), Mel(sampleRate / 2.0));
        var delta = (highMel - lowMel) / (melBins + 1);
        _filters = new double[melBins][];
        _filterStart = new int[melBins];
        for (var b = 0; b < melBins; b++)
        {
            var (left, center, right) = (lowMel + (b * delta), lowMel + ((b + 1) * delta), lowMel + ((b + 2) * delta));
            var weights = new double[(FftSize / 2) + 1];
            for (var k = 0; k < FftSize / 2; k++)
            {
                var mel = Mel(k * (double)sampleRate / FftSize);
                if (mel > left && mel < right)
                {
                    weights[k] = mel <= center ? (mel - left) / (center - left) : (right - mel) / (right - center);
                }
            }

            _filters[b] = weights;
        }

        _dct = new double[coefficients, melBins];
        for (var c = 0; c < coefficients; c++)
        {
            var scale = c == 0 ? Math.Sqrt(1.0 / melBins) : Math.Sqrt(2.0 / melBins);
            var lift = 1 + (0.5 * Lifter * Math.Sin(Math.PI * c / Lifter));
            for (var b = 0; b < melBins; b++)
            {
                _dct[c, b] = scale * Math.Cos(Math.PI / melBins * (b + 0.5) * c) * lift;
            }
        }

        _cos = new double[FftSize / 2];
        _sin = new double[FftSize / 2];
        for (var i = 0; i < FftSize / 2; i++)
        {
            _cos[i] = Math.Cos(-2 * Math.PI * i / FftSize);
            _sin[i] = Math.Sin(-2 * Math.PI * i / FftSize);
        }

        _bitReverse = new int[FftSize];
        var bits = (int)Math.Log2(FftSize);
        for (var i = 0; i < FftSize; i++)
        {
            var r = 0;
            for (var j = 0; j < bits; j++)
            {
                r |= ((i >> j) & 1) << (bits - 1 - j);
            }

            _bitReverse[i] = r;
        }
    }

    public int SampleRate { get; }

    public int WindowSamples { get; }

    public int HopSamples { get; }

    public int MelBins { get; }

    public int Coefficients { get; }

    /// <summary>Width of <see cref="ComputeWithDeltas"/> rows: coefficients, deltas, delta-deltas.</summary>
    public int FeatureSize => 3 * Coefficients;

    /// <summary>Frames for <paramref name="samples"/> samples: 1 + (samples - window) / hop, or 0 when shorter than a window.</summary>
    public int FrameCount(int samples) => samples < WindowSamples ? 0 : 1 + ((samples - WindowSamples) / HopSamples);

    /// <summary>MFCCs [frames, coefficients] of <paramref name="audio"/>.</summary>
    public float[,] Compute(ReadOnlySpan<float> audio)
    {
        var frames = FrameCount(audio.Length);
        var result = new float[frames, Coefficients];
        var real = new double[FftSize];
        var imaginary = new double[FftSize];
        var logMel = new double[MelBins];
        for (var t = 0; t < frames; t++)
        {
            var frame = audio.Slice(t * HopSamples, WindowSamples);
            double mean = 0;
            foreach (var s in frame)
            {
                mean += s;
            }

            mean /= WindowSamples;
            Array.Clear(real);
            Array.Clear(imaginary);
            for (var n = WindowSamples - 1; n >= 0; n--)
            {
                var previous = n > 0 ? frame[n - 1] - mean : frame[0] - mean;
                real[n] = (frame[n] - mean - (PreEmphasis * previous)) * _window[n];
            }

            Fft(real, imaginary);
            for (var b = 0; b < MelBins; b++)
            {
                var weights = _filters[b];
                double energy = 0;
                for (var k = 0; k < weights.Length; k++)
                {
                    if (weights[k] != 0)
                    {
                        energy += weights[k] * ((real[k] * real[k]) + (imaginary[k] * imaginary[k]));
                    }
                }

                logMel[b] = Math.Log(Math.Max(energy, FloatEpsilon));
            }

            for (var c = 0; c < Coefficients; c++)
            {
                double sum = 0;
                for (var b = 0; b < MelBins; b++)
                {
                    sum += _dct[c, b] * logMel[b];
                }

                result[t, c] = (float)sum;
            }
        }

        return result;
    }

    /// <summary>MFCCs with deltas and delta-deltas [frames, 3 × coefficients].</summary>
    public float[,] ComputeWithDeltas(ReadOnlySpan<float> audio)
    {
        var mfcc = Compute(audio);
        var delta = Deltas(mfcc);
        var deltaDelta = Deltas(delta);
        var frames = mfcc.GetLength(0);
        var result = new float[frames, FeatureSize];
        for (var t = 0; t < frames; t++)
        {
            for (var c = 0; c < Coefficients; c++)
            {
                result[t, c] = mfcc[t, c];
                result[t, Coefficients + c] = delta[t, c];
                result[t, (2 * Coefficients) + c] = deltaDelta[t, c];
            }
        }

        return result;
    }

    /// <summary>Regression deltas over ±2 frames: Σ n (x[t+n] − x[t−n]) / (2 Σ n²), edges repeated.</summary>
    public static float[,] Deltas(float[,] x)
    {
        var (frames, width) = (x.GetLength(0), x.GetLength(1));
        var result = new float[frames, width];
        for (var t = 0; t < frames; t++)
        {
            for (var c = 0; c < width; c++)
            {
                double sum = 0;
                for (var n = 1; n <= 2; n++)
                {
                    sum += n * (x[Math.Min(t + n, frames - 1), c] - x[Math.Max(t - n, 0), c]);
                }

                result[t, c] = (float)(sum / 10.0);
            }
        }

        return result;
    }

    private void Fft(double[] real, double[] imaginary)
    {
        for (var i = 0; i < FftSize; i++)
        {
            var j = _bitReverse[i];
            if (j > i)
            {
                (real[i], real[j]) = (real[j], real[i]);
                (imaginary[i], imaginary[j]) = (imaginary[j], imaginary[i]);
            }
        }

        for (var size = 2; size <= FftSize; size <<= 1)
        {
            var half = size / 2;
            var step = FftSize / size;
            for (var start = 0; start < FftSize; start += size)
            {
                for (var k = 0; k < half; k++)
                {
                    var (wr, wi) = (_cos[k * step], _sin[k * step]);
                    var (a, b) = (start + k, start + k + half);
                    var tr = (real[b] * wr) - (imaginary[b] * wi);
                    var ti = (real[b] * wi) + (imaginary[b] * wr);
                    real[b] = real[a] - tr;
                    imaginary[b] = imaginary[a] - ti;
                    real[a] += tr;
                    imaginary[a] += ti;
                }
            }
        }
    }
}
