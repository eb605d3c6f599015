using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace S3Router.Core.Audio;

/// <summary>
/// Band-limited rational resampler: a Kaiser-windowed sinc low-pass split into polyphase branches.
/// For rates in the ratio L/M (reduced), output sample n sits at input time n·M/L; it is the dot product of the
/// input around that time with the branch for the fractional part (n·M mod L)/L. Each branch is normalised to unit
/// DC gain. When L is large (unusual rate pairs) the branches would not fit in memory, so coefficients are
/// interpolated linearly from a finely sampled kernel instead (512 points per input sample, error below -100 dB).
/// Design: pass band to 86% of the lower Nyquist, stop band from 100% of it, 100 dB attenuation.
/// Reference: J. O. Smith, "Digital Audio Resampling", https://ccrma.stanford.edu/~jos/resample/
/// </summary>
internal sealed class PolyphaseResampler
{
    private const double PassbandEdge = 0.86;
    private const double StopbandAttenuationDb = 100;
    private const int KernelPointsPerSample = 512;
    private const long MaxBankCoefficients = 1 << 20;

    private readonly int _up;
    private readonly int _down;
    private readonly int _halfTaps;
    private readonly int _taps;
    private readonly float[]? _bank;
    private readonly float[]? _kernel;

    public PolyphaseResampler(int fromRateHertz, int toRateHertz)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(fromRateHertz);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(toRateHertz);
        var gcd = (int)BigInteger.GreatestCommonDivisor(fromRateHertz, toRateHertz);
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

        if ((long)_up * _taps <= MaxBankCoefficients)
        {
            _bank = BuildBank(kernel);
        }
        else
        {
            _kernel = BuildFineKernel(kernel, halfWidth);
        }
    }

    /// <summary>Bytes held by the coefficient tables (for cache decisions).</summary>
    public long TableBytes => 4L * (_bank?.Length ?? _kernel!.Length);

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
        var scratch = _bank is null ? ArrayPool<float>.Shared.Rent(_taps) : null;
        try
        {
            Array.Clear(padded, 0, _halfTaps);
            input.CopyTo(padded.AsSpan(_halfTaps));
            Array.Clear(padded, _halfTaps + input.Length, paddedLength - _halfTaps - input.Length);

            long basePosition = 0;
            var phase = 0;
            var baseStep = _down / _up;
            var phaseStep = _down % _up;
            for (var n = 0; n < output.Length; n++)
            {
                // Input index k sits at padded[k + halfTaps]; the first tap is k = base - (halfTaps - 1).
                var window = padded.AsSpan((int)basePosition + 1, _taps);
                var coefficients = _bank is not null
                    ? _bank.AsSpan(phase * _taps, _taps)
                    : InterpolateBranch((double)phase / _up, scratch.AsSpan(0, _taps));
                output[n] = Dot(window, coefficients);

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
            if (scratch is not null)
            {
                ArrayPool<float>.Shared.Return(scratch);
            }
        }
    }

    private float[] BuildBank(KaiserSinc kernel)
    {
        var bank = new float[_up * _taps];
        var branch = new double[_taps];
        for (var p = 0; p < _up; p++)
        {
            var fraction = (double)p / _up;
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

    private static float[] BuildFineKernel(KaiserSinc kernel, double halfWidth)
    {
        // Two extra points so interpolation never reads past the end.
        var table = new float[(int)Math.Ceiling(halfWidth * KernelPointsPerSample) + 2];
        for (var i = 0; i < table.Length; i++)
        {
            table[i] = (float)kernel.At((double)i / KernelPointsPerSample);
        }
        return table;
    }

    private Span<float> InterpolateBranch(double fraction, Span<float> branch)
    {
        var table = _kernel!;
        var sum = 0f;
        for (var j = 0; j < branch.Length; j++)
        {
            var position = Math.Abs(fraction + _halfTaps - 1 - j) * KernelPointsPerSample;
            var index = (int)position;
            float value = 0;
            if (index + 1 < table.Length)
            {
                var t = (float)(position - index);
                value = table[index] + t * (table[index + 1] - table[index]);
            }
            branch[j] = value;
            sum += value;
        }
        var inverse = 1f / sum;
        for (var j = 0; j < branch.Length; j++)
        {
            branch[j] *= inverse;
        }
        return branch;
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
