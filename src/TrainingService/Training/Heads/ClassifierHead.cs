using S3Router.TrainingService.Model;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace S3Router.TrainingService.Training.Heads;

/// <summary>
/// Utterance classifier (docs/formats.md, "Route heads"), then <c>proj</c>:
/// mean pooling over the valid frames; attentive pooling (<c>attention</c> [1, H] scores each frame, softmax over the
/// valid frames); or statistics pooling: the mean and population standard deviation of each feature over the valid
/// frames of the all-states features (<see cref="Wav2Vec2Model.OutputsAllStates"/>), standardized by <c>norm</c>.
/// </summary>
internal sealed class ClassifierHead : TaskHead
{
    // Floor of a pooled variance: sqrt has an infinite gradient at 0 (one valid frame, or a constant feature).
    private const double MinimumVariance = 1e-10;

    private readonly Linear? attention;
    private readonly FeatureStandardizer? norm;
    private readonly Linear proj;
    private readonly long _width;

    /// <param name="width">Frame width of the head's input: hidden_size, or the all-states width for <see cref="ClassifierPooling.Stats"/>.</param>
    /// <param name="classes">Number of classes.</param>
    /// <param name="pooling">How frames are pooled.</param>
    public ClassifierHead(long width, long classes, ClassifierPooling pooling)
        : base(nameof(ClassifierHead))
    {
        _width = width;
        Pooling = pooling;
        attention = pooling == ClassifierPooling.Attentive ? nn.Linear(width, 1) : null;
        var pooledWidth = pooling == ClassifierPooling.Stats ? 2 * width : width;
        norm = pooling == ClassifierPooling.Stats ? new FeatureStandardizer(pooledWidth) : null;
        proj = nn.Linear(pooledWidth, classes);
        nn.init.xavier_uniform_(proj.weight);
        nn.init.zeros_(proj.bias);
        RegisterComponents();
    }

    /// <summary>The pooling this head was built with.</summary>
    public ClassifierPooling Pooling { get; }

    /// <summary>
    /// Statistics pooling only: sets the standardization from the pooled (unstandardized) vectors of a sample of
    /// training utterances, each batch as [batch, frames, width] with its valid frames.
    /// </summary>
    public void FitStandardization(IEnumerable<(Tensor Features, Tensor? FrameLengths)> batches)
    {
        if (norm is null)
        {
            throw new InvalidOperationException("Only a statistics-pooling head has a standardization.");
        }

        using var scope = NewDisposeScope();
        using var noGrad = torch.no_grad();
        var pooled = batches.Select(b => Pool(b.Features, b.FrameLengths)).ToList();
        norm.Fit(torch.cat(pooled, 0));
    }

    /// <summary>hidden: [batch, frames, width]; frameLengths: [batch] valid frames or null. Returns logits [batch, C].</summary>
    public override Tensor forward(Tensor hidden, Tensor? frameLengths)
    {
        using var scope = NewDisposeScope();
        var pooled = Pool(hidden, frameLengths);
        return proj.call(norm is null ? pooled : norm.call(pooled)).MoveToOuterDisposeScope();
    }

    /// <summary>The pooled utterance vectors [batch, width] (statistics pooling: [batch, 2 · width], before standardization).</summary>
    private Tensor Pool(Tensor hidden, Tensor? frameLengths)
    {
        if (hidden.dim() != 3 || hidden.shape[2] != _width)
        {
            throw new ArgumentException($"ClassifierHead expects [batch, frames, {_width}]; found [{string.Join(", ", hidden.shape)}].", nameof(hidden));
        }

        using var scope = NewDisposeScope();
        var (batch, frames) = (hidden.shape[0], hidden.shape[1]);
        var valid = frameLengths is null
            ? torch.ones(batch, frames, dtype: ScalarType.Bool, device: hidden.device)
            : torch.arange(HeldScalar.Of(frames), device: hidden.device).unsqueeze(0) < frameLengths.unsqueeze(1); // [B, T]
        Tensor weights; // [B, T], sums to 1 over the valid frames
        if (attention is null)
        {
            var validFloat = valid.to(hidden.dtype);
            weights = validFloat / validFloat.sum(1, keepdim: true).clamp_min(HeldScalar.Of(1.0));
        }
        else
        {
            var scores = attention.call(hidden).squeeze(-1).masked_fill(valid.logical_not(), HeldScalar.Of(double.NegativeInfinity)); // [B, T]
            weights = scores.softmax(1);
        }

        var w = weights.unsqueeze(-1); // [B, T, 1]
        var mean = (w * hidden).sum(1); // [B, width]
        if (Pooling != ClassifierPooling.Stats)
        {
            return mean.MoveToOuterDisposeScope();
        }

        // Population variance over the valid frames. Not square(): TorchSharp passes it to pow as an implicit Scalar,
        // which the GC may finalize while libtorch reads it (see HeldScalar).
        var centered = hidden - mean.unsqueeze(1);
        var variance = (w * centered * centered).sum(1);
        return torch.cat([mean, variance.clamp_min(HeldScalar.Of(MinimumVariance)).sqrt()], 1).MoveToOuterDisposeScope();
    }
}
