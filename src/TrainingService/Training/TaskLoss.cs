using S3Router.TrainingService.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace S3Router.TrainingService.Training;

/// <summary>The training objective: CTC (blank 0, infinite losses zeroed) or cross-entropy, averaged per utterance.</summary>
internal static class TaskLoss
{
    /// <summary>
    /// CTC: logits [batch, frames, V], frames [batch] valid frames, per-utterance loss summed over its frames then
    /// averaged over the batch (fairseq's sentence_avg). Classifier: logits [batch, C], mean cross-entropy; class
    /// -1 (unseen in training) is ignored.
    /// </summary>
    public static Tensor Compute(Tensor logits, Tensor frames, IReadOnlyList<long[]> targets, bool isCtc)
    {
        using var scope = NewDisposeScope();
        if (isCtc)
        {
            var logProbs = logits.log_softmax(-1).transpose(0, 1); // [frames, batch, V]
            var flat = tensor(targets.SelectMany(t => t).ToArray());
            var targetLengths = tensor(targets.Select(t => (long)t.Length).ToArray());
            var loss = nn.functional.ctc_loss(logProbs, flat, frames, targetLengths, blank: 0, zero_infinity: true, reduction: nn.Reduction.Sum);
            return (loss / HeldScalar.Of((long)targets.Count)).MoveToOuterDisposeScope();
        }

        var classes = tensor(targets.Select(t => t[0] < 0 ? -100L : t[0]).ToArray());
        return nn.functional.cross_entropy(logits, classes).MoveToOuterDisposeScope();
    }
}
