using S3Router.Api.V1;
using S3Router.TrainingService.Model;
using S3Router.TrainingService.Training.Heads;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace S3Router.TrainingService.Training;

/// <summary>
/// One optimizer step of a finetuning job (mask, weights, prune, head), and which parameters each kind trains.
/// <see cref="JobRunner"/> runs its steps through here; so does the training-step benchmark (bench/S3Router.Bench).
/// </summary>
internal static class TrainingStep
{
    /// <summary>
    /// Sets requires_grad false on what <paramref name="kind"/> keeps frozen: the whole backbone (mask scores aside) for
    /// mask, prune, head and structured-prune jobs; the conv frontend for weights jobs (fairseq's <c>feature_grad_mult = 0</c>).
    /// </summary>
    public static void FreezeBackbone(JobKind kind, Wav2Vec2Model backbone)
    {
        if (kind is JobKind.Mask or JobKind.Prune or JobKind.Head or JobKind.StructuredPrune)
        {
            backbone.FreezeBackbone();
        }

        if (kind == JobKind.Weights)
        {
            foreach (var (_, p) in backbone.named_parameters().Where(p => p.name.StartsWith("feature_extractor.", StringComparison.Ordinal)))
            {
                p.requires_grad = false;
            }
        }
    }

    /// <summary>Whether the head is trained: always for weights, head and structured-prune jobs, with <c>trainable_proj</c> for masked ones.</summary>
    public static bool HeadTrains(JobKind kind, bool trainableProj) => kind is JobKind.Weights or JobKind.Head or JobKind.StructuredPrune || trainableProj;

    /// <summary>
    /// The backbone's last hidden state [batch, frames, hidden] and valid frames [batch] for waveforms [batch, samples]
    /// and lengths [batch], in training mode when <paramref name="dropout"/>, without a graph unless <paramref name="learns"/>;
    /// with <paramref name="timeMask"/> ([batch, frames] bool), those frames' projected features are masked (SpecAugment).
    /// </summary>
    public static (Tensor Hidden, Tensor? Frames) Backbone(Wav2Vec2Model backbone, Tensor waveforms, Tensor lengths, bool learns, bool dropout, Tensor? timeMask = null)
    {
        backbone.train(dropout);
        using (learns ? null : torch.no_grad())
        {
            return timeMask is null ? backbone.call(waveforms, lengths) : backbone.ForwardMasked(waveforms, lengths, timeMask);
        }
    }

    /// <summary>
    /// The SpecAugment time mask [batch, frames] of one batch for <c>time_mask_prob</c> <paramref name="prob"/>:
    /// <see cref="Pretraining.SpanMasker"/> spans covering about that fraction of each item's valid frames.
    /// </summary>
    public static Tensor TimeMask(Wav2Vec2Model backbone, Tensor lengths, long paddedSamples, double prob, int seed)
    {
        var valid = lengths.data<long>().ToArray().Select(backbone.OutputFrames).ToArray();
        var frames = (int)backbone.OutputFrames(paddedSamples);
        var mask = Pretraining.SpanMasker.Compute(valid, frames, new Random(seed), prob / Pretraining.SpanMasker.SpanLength);
        return torch.tensor(mask, [valid.Length, frames]);
    }

    /// <summary>
    /// In one dispose scope: zero the gradients, compute the features (<paramref name="features"/> runs inside the
    /// scope), the head in training mode, the task loss on <paramref name="targets"/>, backward, clip the gradient norm
    /// to <see cref="JobOptions.GradientClipNorm"/> and one Adam update at <paramref name="lr"/>. Returns the loss.
    /// </summary>
    public static float Run(
        TaskHead head, AdamOptimizer optimizer, double lr, bool isCtc, IReadOnlyList<long[]> targets, Func<(Tensor Hidden, Tensor? Frames)> features)
    {
        using var scope = NewDisposeScope();
        optimizer.ZeroGrad();
        head.train();
        var (hidden, frames) = features();
        var lossTensor = head.Loss(hidden, frames, targets, isCtc);
        lossTensor.backward();
        var withGrad = optimizer.Parameters.Where(p => p.requires_grad && p.grad is not null).ToList();
        if (withGrad.Count > 0)
        {
            nn.utils.clip_grad_norm_(withGrad, JobOptions.GradientClipNorm);
        }

        optimizer.Step(lr);
        return lossTensor.item<float>();
    }
}
