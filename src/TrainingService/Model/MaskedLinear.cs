using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace S3Router.TrainingService.Model;

/// <summary>
/// A Linear layer with a frozen weight and a learned binary mask over it: y = x (W ⊙ M)ᵀ + b, where
/// M = top-k(|scores|) per tensor with k = round(prune_rate × numel). The gradient of M goes straight through
/// to |scores| (S3-Router's GetSubnet). Parameters: <c>weight</c>, <c>bias</c> (frozen), <c>scores</c>
/// (trainable); buffer <c>mask</c>: the last hard mask as bool. Outside training the hard mask and W ⊙ M are
/// cached until <see cref="InvalidateMask"/> or the next training step.
/// Reference: Ramanujan et al., "What's Hidden in a Randomly Weighted Neural Network?" (arXiv:1911.13299).
/// </summary>
internal sealed class MaskedLinear : nn.Module<Tensor, Tensor>
{
    private readonly Parameter weight;
    private readonly Parameter bias;
    private readonly Parameter scores;
    private readonly Tensor mask;

    private Tensor? _maskedWeight;

    public MaskedLinear(string name, long inFeatures, long outFeatures, double pruneRate)
        : base(name)
    {
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        PruneRate = pruneRate;
        var bound = 1.0 / Math.Sqrt(inFeatures);
        weight = new Parameter(nn.init.kaiming_uniform_(torch.empty(outFeatures, inFeatures), a: Math.Sqrt(5)), requires_grad: false);
        bias = new Parameter(nn.init.uniform_(torch.empty(outFeatures), -bound, bound), requires_grad: false);
        scores = new Parameter(nn.init.kaiming_uniform_(torch.empty(outFeatures, inFeatures), a: Math.Sqrt(5)));
        mask = torch.ones(outFeatures, inFeatures, dtype: ScalarType.Bool);
        RegisterComponents();
    }

    public long InFeatures { get; }

    public long OutFeatures { get; }

    /// <summary>Kept fraction of the weight, in [0, 1].</summary>
    public double PruneRate { get; private set; }

    /// <summary>Number of kept elements: round(prune_rate × numel).</summary>
    public long KeepCount => (long)Math.Round(PruneRate * InFeatures * OutFeatures, MidpointRounding.AwayFromZero);

    public Parameter Weight => weight;

    public Parameter Bias => bias;

    public Parameter Scores => scores;

    /// <summary>x: [..., in_features] -> [..., out_features].</summary>
    public override Tensor forward(Tensor x)
    {
        if (x.shape[^1] != InFeatures)
        {
            throw new ArgumentException(
                $"MaskedLinear expects [..., {InFeatures}]; found [{string.Join(", ", x.shape)}].", nameof(x));
        }

        using var scope = NewDisposeScope();
        Tensor masked;
        if (training && torch.is_grad_enabled() && scores.requires_grad)
        {
            // Scores change with every optimizer step: recompute, and drop any cached mask.
            InvalidateMask();
            var absScores = scores.abs();
            Tensor hard;
            using (torch.no_grad())
            {
                hard = HardMask(absScores);
            }

            // Value is exactly the hard mask (a - a == 0); d(mask)/d|scores| = 1: the straight-through estimator.
            var straightThrough = hard + (absScores - absScores.detach());
            masked = weight * straightThrough;
        }
        else
        {
            masked = MaskedWeight();
        }

        return nn.functional.linear(x, masked, bias).MoveToOuterDisposeScope();
    }

    /// <summary>Drops the cached hard mask; call after changing scores or weights outside a training step.</summary>
    public void InvalidateMask()
    {
        _maskedWeight?.Dispose();
        _maskedWeight = null;
    }

    /// <summary>The current hard mask (row-major, true = kept), computed from the scores.</summary>
    public bool[] ExportMask()
    {
        using var scope = NewDisposeScope();
        using var noGrad = torch.no_grad();
        return HardMask(scores.abs()).to(ScalarType.Bool).data<bool>().ToArray();
    }

    /// <summary>Sets the scores so that the mask is exactly <paramref name="keep"/> (row-major, true = kept).</summary>
    public void ImportMask(ReadOnlySpan<bool> keep)
    {
        if (keep.Length != weight.numel())
        {
            throw new ArgumentException(
                $"Mask for {InFeatures}x{OutFeatures} weight needs {weight.numel()} values; found {keep.Length}.", nameof(keep));
        }

        var values = new float[keep.Length];
        var kept = 0L;
        for (var i = 0; i < keep.Length; i++)
        {
            if (keep[i])
            {
                values[i] = 1f;
                kept++;
            }
        }

        using (torch.no_grad())
        {
            using var source = torch.tensor(values, weight.shape);
            scores.copy_(source);
        }

        PruneRate = (double)kept / keep.Length;
        InvalidateMask();
    }

    /// <summary>Initializes the scores (after the weights are loaded: three of the methods read them).</summary>
    public void InitializeScores(ScoreInit method, double scale = 1.0)
    {
        using var scope = NewDisposeScope();
        using (torch.no_grad())
        {
            switch (method)
            {
                case ScoreInit.KaimingUniform:
                    nn.init.kaiming_uniform_(scores, a: Math.Sqrt(5));
                    break;
                case ScoreInit.WeightMagnitude:
                    scores.copy_(HardMask(weight.abs()));
                    break;
                case ScoreInit.WeightMagnitudeWithScale:
                    scores.copy_(weight / scale);
                    break;
                case ScoreInit.WeightRank:
                    nn.init.kaiming_uniform_(scores, a: Math.Sqrt(5));
                    var flatScores = scores.flatten();
                    var byScore = flatScores.abs().argsort(); // ascending |score|
                    var byWeight = weight.abs().flatten().argsort(); // ascending |W|
                    // The i-th smallest |score| moves to the position of the i-th smallest |W|.
                    var reordered = torch.zeros_like(flatScores).scatter_(0, byWeight, flatScores.gather(0, byScore));
                    scores.copy_(reordered.view(scores.shape));
                    break;
                default:
                    throw new ArgumentOutOfRangeException(nameof(method), method, "Unknown score init.");
            }
        }

        InvalidateMask();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            InvalidateMask();
        }

        base.Dispose(disposing);
    }

    private Tensor MaskedWeight()
    {
        if (_maskedWeight is null)
        {
            using var noGrad = torch.no_grad();
            var hard = HardMask(scores.abs());
            mask.copy_(hard.to(ScalarType.Bool));
            _maskedWeight = (weight * hard).DetachFromDisposeScope();
        }

        return _maskedWeight;
    }

    /// <summary>0/1 float mask keeping exactly <see cref="KeepCount"/> largest values of <paramref name="absScores"/>.</summary>
    private Tensor HardMask(Tensor absScores)
    {
        var numel = absScores.numel();
        var keepCount = KeepCount;
        if (keepCount >= numel)
        {
            return torch.ones_like(absScores);
        }

        if (keepCount <= 0)
        {
            return torch.zeros_like(absScores);
        }

        // kthvalue is ~4x faster than topk + scatter: everything above the (numel - k)-th smallest is kept.
        var flat = absScores.flatten();
        var threshold = flat.kthvalue(numel - keepCount, 0).values;
        var keep = flat > threshold;
        var kept = keep.sum().item<long>();
        if (kept < keepCount)
        {
            // Ties at the threshold: keep the first ones in row-major order, to keep exactly k.
            var ties = flat == threshold;
            var tieRank = ties.to(ScalarType.Int64).cumsum(0);
            using var limit = (keepCount - kept).ToScalar();
            keep = keep.logical_or(ties.logical_and(tieRank <= limit));
        }

        return keep.view(absScores.shape).to(absScores.dtype);
    }
}
