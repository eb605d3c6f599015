using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace S3Router.Core.Audio;

/// <summary>
/// Band-limited rational resampler: a Kaiser-windowed sinc low-pass split into polyphase branches.
/// For rates in the ratio L/M (reduced), output sample n sits at input time n·M/L; it is the dot product of the
/// input around that time with the branch for the fractional part (n·M mod L)/L. Each branch is normalised to unit
/// DC gain. When L is large (unusual rate pairs such as 44101 Hz) the exact branches would not fit in memory, so a
/// fixed grid of 256 branches is used and the outputs of the two branches around the fraction are blended linearly
/// (error -100 dB or lower on in-band tones).
/// Design: pass band to 86% of the lower Nyquist, stop band from 100% of it, 100 dB attenuation.
/// Reference: J. O. Smith, "Digital Audio Resampling", https://ccrma.stanford.edu/~jos/resample/
/// </summary>
internal sealed class PolyphaseResampler
{
    private const double PassbandEdge = 0.86;
    private const double StopbandAttenuationDb = 100;
    private const int InterpolatedBranches = 256;
    private const long MaxExactCoefficients = 1 << 20;

    private readonly int _up;
    private readonly int _down;
    private readonly int _halfTaps;
    private readonly int _taps;
    private readonly bool _interpolate;
    private readonly float[] _bank;

    public PolyphaseResampler(int fromRateHertz, int toRateHertz)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(fromRateHertz);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(toRateHertz);
        var gcd = GreatestCommonDivisor(fromRateHertz, toRateHertz);
        _up = toRateHertz / gcd;
        _down = fromRateHertz / gcd;

        // Everything below is in input-sample units; scale > 1 when downsampling widens the kernel.
        var scale = (double)fromRateHertz / Math.Min(fromRateHertz, toRateHertz);
        var transition = (1 - PassbandEdge) / 2;               // cycles per lower-rate sample
        var cutoff = (1 + PassbandEdge) / 4 / scale;            // cycles per input sample (-6 dB point)
        var beta = 0.1102 * (StopbandAttenuationDb - 8.7);      // Kaiser's formula for A > 50 dB
        var length = (StopbandAttenuationDb - 7.95) / (14.36 * transition);
        var halfWidth = length / 2 * scale;
        _halfTaps = (int)Math.Ceiling(halfWidth);
        _taps = 2 * _halfTaps;
        var kernel = new KaiserSinc(cutoff, halfWidth, beta);

        _interpolate = (long)_up * _taps > MaxExactCoefficients;
        // Interpolated mode keeps branch 0..P inclusive so branch p0 + 1 always exists.
        _bank = _interpolate
            ? BuildBank(kernel, InterpolatedBranches + 1, InterpolatedBranches)
            : BuildBank(kernel, _up, _up);
    }

    /// <summary>Bytes held by the coefficient table (for cache decisions).</summary>
    public long TableBytes => 4L * _bank.Length;

    /// <summary>Output samples produced for <paramref name="inputLength"/> input samples: ceil(length·L/M).</summary>
    public int OutputLength(int inputLength) => (int)(((long)inputLength * _up + _down - 1) / _down);

    /// <summary>Resamples all of <paramref name="input"/> (zeros assumed outside it) into <paramref name="output"/>.</summary>
    public void Process(ReadOnlySpan<float> input, Span<float> output)
    {
        if (output.Length != OutputLength(input.Length))
        {
            throw new ArgumentException($"output must hold {OutputLength(input.Length)} samples", nameof(output));
        }
        var paddedLength = input.Length + _taps;
        var padded = ArrayPool<float>.Shared.Rent(paddedLength);
        try
        {
            Array.Clear(padded, 0, _halfTaps);
            input.CopyTo(padded.AsSpan(_halfTaps));
            Array.Clear(padded, _halfTaps + input.Length, paddedLength - _halfTaps - input.Length);

            long basePosition = 0;
            var phase = 0;
            var baseStep = _down / _up;
            var phaseStep = _down % _up;
            var branchScale = (double)InterpolatedBranches / _up;
            for (var n = 0; n < output.Length; n++)
            {
                // Input index k sits at padded[k + halfTaps]; the first tap is k = base - (halfTaps - 1).
                var window = padded.AsSpan((int)basePosition + 1, _taps);
                if (_interpolate)
                {
                    // Fraction phase/L falls between branches p0 and p0 + 1 of the fixed grid: blend their outputs.
                    var position = phase * branchScale;
                    var p0 = (int)position;
                    var weight = (float)(position - p0);
                    var y0 = Dot(window, _bank.AsSpan(p0 * _taps, _taps));
                    var y1 = Dot(window, _bank.AsSpan((p0 + 1) * _taps, _taps));
                    output[n] = y0 + weight * (y1 - y0);
                }
                else
                {
                    output[n] = Dot(window, _bank.AsSpan(phase * _taps, _taps));
                }

                basePosition += baseStep;
                phase += phaseStep;
                if (phase >= _up)
                {
                    phase -= _up;
                    basePosition++;
                }
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(padded);
        }
    }

    /// <summary>Branch p holds the taps for fractional position p / <paramref name="denominator"/>, normalised to unit DC gain.</summary>
    private float[] BuildBank(KaiserSinc kernel, int branches, int denominator)
    {
        var bank = new float[branches * _taps];
        var branch = new double[_taps];
        for (var p = 0; p < branches; p++)
        {
            var fraction = (double)p / denominator;
            var sum = 0.0;
            for (var j = 0; j < _taps; j++)
            {
                branch[j] = kernel.At(fraction + _halfTaps - 1 - j);
                sum += branch[j];
            }
            for (var j = 0; j < _taps; j++)
            {
                bank[p * _taps + j] = (float)(branch[j] / sum);
            }
        }
        return bank;
    }

    private static int GreatestCommonDivisor(int a, int b)
    {
        while (b != 0)
        {
            (a, b) = (b, a % b);
        }
        return a;
    }

    private static float Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        ref var aRef = ref MemoryMarshal.GetReference(a);
        ref var bRef = ref MemoryMarshal.GetReference(b);
        var width = Vector<float>.Count;
        var accumulator = Vector<float>.Zero;
        var i = 0;
        for (; i <= a.Length - width; i += width)
        {
            accumulator += Vector.LoadUnsafe(ref aRef, (nuint)i) * Vector.LoadUnsafe(ref bRef, (nuint)i);
        }
        var sum = Vector.Sum(accumulator);
        for (; i < a.Length; i++)
        {
            sum += Unsafe.Add(ref aRef, i) * Unsafe.Add(ref bRef, i);
        }
        return sum;
    }

    /// <summary>h(t) = 2·fc·sinc(2·fc·t)·w(t / halfWidth), with w the Kaiser window and t in input samples.</summary>
    private readonly struct KaiserSinc(double cutoff, double halfWidth, double beta)
    {
        private readonly double _inverseI0Beta = 1 / BesselI0(beta);

        public double At(double t)
        {
            var x = t / halfWidth;
            if (Math.Abs(x) >= 1)
            {
                return 0;
            }
            var window = BesselI0(beta * Math.Sqrt(1 - x * x)) * _inverseI0Beta;
            var argument = Math.PI * 2 * cutoff * t;
            var sinc = Math.Abs(argument) < 1e-12 ? 1 : Math.Sin(argument) / argument;
            return 2 * cutoff * sinc * window;
        }

        private static double BesselI0(double x)
        {
            // Power series sum_k ((x/2)^k / k!)^2; converges fast for the betas used here (x <= ~12).
            var sum = 1.0;
            var term = 1.0;
            var half = x / 2;
            for (var k = 1; k < 200; k++)
            {
                term *= half / k;
                var squared = term * term;
                sum += squared;
                if (squared < sum * 1e-17)
                {
                    break;
                }
            }
            return sum;
        }
    }
}
