using System.Buffers;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using S3Router.Core.Errors;
using S3Router.Core.Masks;

namespace S3Router.InferenceService.Inference.Heads;

/// <summary>
/// The temporal pooling of a <c>conv_max</c> classifier (docs/formats.md, "Route heads") over one utterance's
/// all-states features x[t] [frames, W], of which it reads hidden states 0..L (the last (L+1)·H columns):
/// <c>s[t] = Σ_l a_l · h_l[t]</c> with <c>a = softmax(layer_logits)</c>; <c>n[t] = LayerNorm(s[t])</c> (eps 1e-5);
/// <c>c[t] = ReLU(conv.bias + Σ_k conv.weight[:, :, k] · n[t + k − (K−1)/2])</c> with <c>n</c> zero outside the
/// utterance's frames; <c>p = max_t c[t]</c> [C_out]. SIMD through TensorPrimitives; the per-call buffers are pooled.
/// The tensors stay views of the bundle (a cold route holds no copy of them): each output frame's window of <c>n</c> is
/// laid out as the weight is, [H, K], so one channel's kernel is one contiguous row of the bundle's tensor.
/// </summary>
internal sealed class ConvMaxPooling
{
    // Tensor names are relative to the head's prefix: "head." for one head, "head.members.{k}." for member k of an
    // ensemble (HeadTensor.MemberPrefix; docs/formats.md, "Route heads").

    /// <summary>Bundle tensor whose presence means conv_max pooling: [L+1].</summary>
    public const string LayerLogitsTensor = HeadTensor.ConvMaxLayerLogits;

    /// <summary>LayerNorm scale [H].</summary>
    public const string NormWeightTensor = "norm.weight";

    /// <summary>LayerNorm shift [H].</summary>
    public const string NormBiasTensor = "norm.bias";

    /// <summary>Convolution weight [C_out, H, K], K odd.</summary>
    public const string ConvWeightTensor = "conv.weight";

    /// <summary>Convolution bias [C_out].</summary>
    public const string ConvBiasTensor = "conv.bias";

    private const float LayerNormEpsilon = 1e-5f;

    private readonly float[] _mix;                     // softmax(layer_logits) [L+1]
    private readonly ReadOnlyMemory<float> _normWeight; // [H]
    private readonly ReadOnlyMemory<float> _normBias;   // [H]
    private readonly ReadOnlyMemory<float> _kernel;     // conv.weight [C_out, H·K]: kernel[o, i·K + k] = conv.weight[o, i, k]
    private readonly ReadOnlyMemory<float> _convBias;   // [C_out]
    private readonly int _hidden;
    private readonly int _states;
    private readonly int _kernelWidth;
    private readonly int _inputWidth;

    private ConvMaxPooling(
        float[] mix, ReadOnlyMemory<float> normWeight, ReadOnlyMemory<float> normBias, ReadOnlyMemory<float> kernel, ReadOnlyMemory<float> convBias, int hidden, int states, int kernelWidth, int inputWidth)
    {
        _mix = mix;
        _normWeight = normWeight;
        _normBias = normBias;
        _kernel = kernel;
        _convBias = convBias;
        _hidden = hidden;
        _states = states;
        _kernelWidth = kernelWidth;
        _inputWidth = inputWidth;
    }

    /// <summary>Output channels C_out: the length of the pooled vector.</summary>
    public int Channels => _convBias.Length;

    /// <summary>Width W of an input frame (the all-states width).</summary>
    public int InputWidth => _inputWidth;

    /// <summary>
    /// Checks the tensors against a backbone of <paramref name="hidden"/> H, <paramref name="layers"/> L and all-states
    /// width <paramref name="inputWidth"/> W. Keeps the tensors (not copies): the caller must not change them.
    /// </summary>
    /// <param name="layerLogits"><c>head.layer_logits</c> [L+1].</param>
    /// <param name="normWeight"><c>head.norm.weight</c> [H].</param>
    /// <param name="normBias"><c>head.norm.bias</c> [H].</param>
    /// <param name="convWeight"><c>head.conv.weight</c> [C_out, H, K] row-major.</param>
    /// <param name="convWeightShape">The bundle's shape of <c>head.conv.weight</c>.</param>
    /// <param name="convBias"><c>head.conv.bias</c> [C_out].</param>
    /// <param name="hidden">hidden_size H of the backbone.</param>
    /// <param name="layers">num_hidden_layers L of the backbone.</param>
    /// <param name="inputWidth">All-states width W of the backbone.</param>
    /// <param name="tensorPrefix">Prefix of the tensors' bundle names, for the messages: "head.", or "head.members.{k}." in an ensemble.</param>
    /// <exception cref="FailedPreconditionException">A tensor has another shape (naming it and the expected shape).</exception>
    public static ConvMaxPooling Create(
        ReadOnlyMemory<float> layerLogits, ReadOnlyMemory<float> normWeight, ReadOnlyMemory<float> normBias, ReadOnlyMemory<float> convWeight,
        IReadOnlyList<long> convWeightShape, ReadOnlyMemory<float> convBias, int hidden, int layers, int inputWidth, string tensorPrefix = HeadTensor.NamePrefix)
    {
        ArgumentNullException.ThrowIfNull(convWeightShape);
        void Require(bool ok, string tensor, string expected, string found) => RequireShape(ok, tensorPrefix + tensor, expected, found);

        var states = layers + 1;
        Require(layerLogits.Length == states, LayerLogitsTensor, $"[{states}] (L + 1 hidden states)", $"{layerLogits.Length} values");
        Require(normWeight.Length == hidden, NormWeightTensor, $"[{hidden}]", $"{normWeight.Length} values");
        Require(normBias.Length == hidden, NormBiasTensor, $"[{hidden}]", $"{normBias.Length} values");
        var shape = $"[{string.Join(", ", convWeightShape)}]";
        Require(convWeightShape.Count == 3 && convWeightShape[0] >= 1 && convWeightShape[1] == hidden && convWeightShape[2] >= 1 && convWeightShape[2] % 2 == 1,
            ConvWeightTensor, $"[C_out, {hidden}, K] with an odd K", shape);
        var (channels, kernelWidth) = ((int)convWeightShape[0], (int)convWeightShape[2]);
        Require(convWeight.Length == channels * hidden * kernelWidth, ConvWeightTensor, shape, $"{convWeight.Length} values");
        Require(convBias.Length == channels, ConvBiasTensor, $"[{channels}]", $"{convBias.Length} values");

        var logits = layerLogits.ToArray();
        var max = logits.Max();
        var exp = logits.Select(v => Math.Exp(v - max)).ToArray();
        var mix = exp.Select(v => (float)(v / exp.Sum())).ToArray();
        return new ConvMaxPooling(mix, normWeight, normBias, convWeight, convBias, hidden, states, kernelWidth, inputWidth);
    }

    /// <summary>Writes p [C_out] of all-states features <paramref name="states"/> [frames ≥ 1, W] into <paramref name="pooled"/>.</summary>
    public void Pool(float[,] states, Span<float> pooled)
    {
        var frames = states.GetLength(0);
        if (frames == 0 || states.GetLength(1) != _inputWidth || pooled.Length != Channels)
        {
            throw new ArgumentException($"Expected all-states features [frames ≥ 1, {_inputWidth}] and {Channels} outputs; found [{frames}, {states.GetLength(1)}] and {pooled.Length}.");
        }

        var h = _hidden;
        var pad = _kernelWidth / 2;
        var window = _kernelWidth * h;
        var offset = _inputWidth - (_states * h); // hidden state 0 starts here; the conv features before it are not read
        var x = MemoryMarshal.CreateReadOnlySpan(ref states[0, 0], states.Length);
        var rented = ArrayPool<float>.Shared.Rent((frames + _kernelWidth - 1) * h);
        var windows = ArrayPool<float>.Shared.Rent(frames * window);
        try
        {
            // n with (K−1)/2 zero frames on each side: the window of output frame t is rows t..t+K−1, contiguous.
            var n = rented.AsSpan(0, (frames + _kernelWidth - 1) * h);
            n[..(pad * h)].Clear();
            n[((pad + frames) * h)..].Clear();
            for (var t = 0; t < frames; t++)
            {
                var row = n.Slice((t + pad) * h, h);
                var frame = x.Slice((t * _inputWidth) + offset, _states * h);
                TensorPrimitives.Multiply(frame[..h], _mix[0], row);
                for (var l = 1; l < _states; l++)
                {
                    TensorPrimitives.MultiplyAdd(frame.Slice(l * h, h), _mix[l], row, row);
                }

                var mean = TensorPrimitives.Sum<float>(row) / h;
                TensorPrimitives.Subtract(row, mean, row);
                var scale = 1f / MathF.Sqrt((TensorPrimitives.SumOfSquares<float>(row) / h) + LayerNormEpsilon);
                TensorPrimitives.Multiply(row, scale, row);
                TensorPrimitives.MultiplyAdd(row, _normWeight.Span, _normBias.Span, row);
            }

            // The window of output frame t, rows t..t+K−1 of n [K, H], transposed to the weight's layout [H, K]: K·H
            // moves per frame against C_out·K·H multiply-adds below.
            var u = windows.AsSpan(0, frames * window);
            for (var t = 0; t < frames; t++)
            {
                var target = u.Slice(t * window, window);
                for (var k = 0; k < _kernelWidth; k++)
                {
                    var source = n.Slice((t + k) * h, h);
                    for (var i = 0; i < h; i++)
                    {
                        target[(i * _kernelWidth) + k] = source[i];
                    }
                }
            }

            // Channel-major: one kernel row (H·K) stays in cache while it slides over every frame.
            var weights = _kernel.Span;
            var convBias = _convBias.Span;
            for (var o = 0; o < pooled.Length; o++)
            {
                var kernel = weights.Slice(o * window, window);
                var best = float.NegativeInfinity;
                for (var t = 0; t < frames; t++)
                {
                    best = MathF.Max(best, TensorPrimitives.Dot<float>(kernel, u.Slice(t * window, window)));
                }

                pooled[o] = MathF.Max(0f, best + convBias[o]); // max_t ReLU(c) = ReLU(max_t c)
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(windows);
            ArrayPool<float>.Shared.Return(rented);
        }
    }

    private static void RequireShape(bool ok, string tensor, string expected, string found)
    {
        if (!ok)
        {
            throw new FailedPreconditionException($"{tensor} must be {expected} for this pod's backbone; found {found} (docs/formats.md, route heads).");
        }
    }
}
