using S3Router.TrainingService.Model;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace S3Router.TrainingService.Training.Pretraining;

/// <summary>
/// HuBERT's prediction head: project the transformer output to <c>projDim</c>, score each cluster by the cosine
/// similarity to a learned cluster embedding divided by a temperature of 0.1. Returns logits [batch, frames, clusters].
/// </summary>
internal sealed class PretrainHead : nn.Module<Tensor, Tensor>
{
    private const double Temperature = 0.1;

    private readonly Linear final_proj;
    private readonly Parameter label_embs_concat;

    public PretrainHead(long hiddenSize, int clusters, long projDim = 256)
        : base(nameof(PretrainHead))
    {
        final_proj = nn.Linear(hiddenSize, projDim);
        label_embs_concat = new Parameter(torch.randn(clusters, projDim) * 0.02);
        RegisterComponents();
    }

    public override Tensor forward(Tensor hidden)
    {
        using var scope = NewDisposeScope();
        var projected = nn.functional.normalize(final_proj.call(hidden), dim: -1);
        var embeddings = nn.functional.normalize(label_embs_concat, dim: -1);
        return (projected.matmul(embeddings.t()) / HeldScalar.Of(Temperature)).MoveToOuterDisposeScope();
    }
}
