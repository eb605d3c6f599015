using S3Router.TrainingService.Model;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace S3Router.TrainingService.Training.Heads;

/// <summary>
/// Utterance classifier: mean pooling over the valid frames, or attentive pooling (<c>attention</c> [1, H] scores
/// each frame, softmax over valid frames), then <c>proj</c> [C, H].
/// </summary>
internal sealed class ClassifierHead : TaskHead
{
    private readonly Linear? attention;
    private readonly Linear proj;

    public ClassifierHead(long hidden, long classes, bool attentive)
        : base(nameof(ClassifierHead))
    {
        attention = attentive ? nn.Linear(hidden, 1) : null;
        proj = nn.Linear(hidden, classes);
        nn.init.xavier_uniform_(proj.weight);
        nn.init.zeros_(proj.bias);
        RegisterComponents();
    }

    /// <summary>hidden: [batch, frames, H]; frameLengths: [batch] valid frames or null. Returns logits [batch, C].</summary>
    public override Tensor forward(Tensor hidden, Tensor? frameLengths)
    {
        if (hidden.dim() != 3 || hidden.shape[2] != proj.in_features)
        {
            throw new ArgumentException($"ClassifierHead expects [batch, frames, {proj.in_features}]; found [{string.Join(", ", hidden.shape)}].", nameof(hidden));
        }

        using var scope = NewDisposeScope();
        var (batch, frames) = (hidden.shape[0], hidden.shape[1]);
        var valid = frameLengths is null
            ? torch.ones(batch, frames, dtype: ScalarType.Bool, device: hidden.device)
            : torch.arange(frames, device: hidden.device).unsqueeze(0) < frameLengths.unsqueeze(1); // [B, T]
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

        var pooled = (weights.unsqueeze(-1) * hidden).sum(1); // [B, H]
        return proj.call(pooled).MoveToOuterDisposeScope();
    }
}
