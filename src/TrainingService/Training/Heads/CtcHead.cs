using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace S3Router.TrainingService.Training.Heads;

/// <summary>Per-frame projection to the CTC vocabulary: <c>proj</c> [V, H] (Xavier-uniform weight, zero bias, as fairseq).</summary>
internal sealed class CtcHead : TaskHead
{
    private readonly Linear proj;

    public CtcHead(long hidden, long vocabulary)
        : base(nameof(CtcHead))
    {
        proj = nn.Linear(hidden, vocabulary);
        nn.init.xavier_uniform_(proj.weight);
        nn.init.zeros_(proj.bias);
        RegisterComponents();
    }

    /// <summary>hidden: [batch, frames, H]; frameLengths unused. Returns logits [batch, frames, V].</summary>
    public override Tensor forward(Tensor hidden, Tensor? frameLengths)
    {
        if (hidden.dim() != 3 || hidden.shape[2] != proj.in_features)
        {
            throw new ArgumentException($"CtcHead expects [batch, frames, {proj.in_features}]; found [{string.Join(", ", hidden.shape)}].", nameof(hidden));
        }

        using var scope = NewDisposeScope();
        return proj.call(hidden).MoveToOuterDisposeScope();
    }
}
