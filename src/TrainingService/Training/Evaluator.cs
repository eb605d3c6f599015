using System.Runtime.InteropServices;
using S3Router.Core.Ctc;
using S3Router.TrainingService.Model;
using S3Router.TrainingService.Training.Data;
using S3Router.TrainingService.Training.Heads;
using S3Router.TrainingService.Training.Metrics;
using S3Router.TrainingService.Training.Scoring;
using TorchSharp;
using static TorchSharp.torch;

namespace S3Router.TrainingService.Training;

/// <summary>
/// Scores a split in eval mode without gradients: <c>&lt;split&gt;_loss</c>, and CER/WER with greedy decoding
/// (plus <c>_cer_beam</c>/<c>_wer_beam</c> with a prefix beam search when asked) for CTC heads, or accuracy and
/// macro-F1 for classifiers. Training jobs score their valid and test splits with it, and <see cref="Scoring.RouteEvaluator"/>
/// scores a finished route on any split. A head job passes its valid split's <see cref="FrozenFeatures"/> (the backbone is
/// frozen, so they are what it would compute, rounded to float16 when the cache holds them so) and the backbone does not
/// run again at every evaluation.
/// </summary>
internal static class Evaluator
{
    public const int BeamWidth = 8;

    public static Dictionary<string, double> Evaluate(
        Wav2Vec2Model backbone, TaskHead head, SpeechDataset dataset, IReadOnlyList<string> labels, bool isCtc, long maxTokens, string prefix, bool beam,
        Action<int, int>? progress = null, CancellationToken cancellationToken = default, FrozenFeatures? cached = null,
        List<UtterancePrediction>? predictions = null)
    {
        var wasTraining = backbone.training;
        backbone.eval();
        head.eval();
        var greedy = new ErrorRateAccumulator();
        var beamed = new ErrorRateAccumulator();
        var classes = new ClassificationAccumulator();
        double lossSum = 0;
        var done = 0;
        var perItem = predictions is null ? null : new UtterancePrediction[dataset.Count]; // batches run in length order
        try
        {
            using var noGrad = torch.no_grad();
            var lengths = dataset.Items.Select(i => i.Samples).ToList();
            foreach (var batch in DynamicBatcher.CreateBatches(lengths, maxTokens))
            {
                cancellationToken.ThrowIfCancellationRequested();
                using var scope = NewDisposeScope();
                var (hidden, frames) = cached is not null
                    ? cached.Batch(batch, cropFrames: null, cropSeed: 0)
                    : Backbone(backbone, dataset, batch);
                var logits = head.call(hidden, frames);
                var targets = batch.Select(i => dataset.Items[i].Targets).ToList();
                lossSum += TaskLoss.Compute(logits, frames!, targets, isCtc).item<float>() * batch.Length;
                if (isCtc)
                {
                    var logProbs = logits.log_softmax(-1).contiguous(); // [batch, frames, V]
                    var values = logProbs.data<float>().ToArray();
                    var frameCounts = frames!.data<long>().ToArray();
                    var (maxFrames, vocabulary) = ((int)logits.shape[1], (int)logits.shape[2]);
                    for (var b = 0; b < batch.Length; b++)
                    {
                        // The served decoder, so training metrics score what the inference service returns.
                        var item = new float[frameCounts[b], vocabulary];
                        values.AsSpan(b * maxFrames * vocabulary, item.Length).CopyTo(MemoryMarshal.CreateSpan(ref item[0, 0], item.Length));
                        var reference = dataset.Items[batch[b]].Reference;
                        var greedyText = CtcText.ToText(CtcDecoder.Greedy(item), labels);
                        greedy.Add(reference, greedyText);
                        var beamText = beam ? CtcText.ToText(CtcDecoder.BeamSearch(item, BeamWidth, nBest: 1)[0], labels) : null;
                        if (beamText is not null)
                        {
                            beamed.Add(reference, beamText);
                        }

                        if (perItem is not null)
                        {
                            perItem[batch[b]] = new UtterancePrediction(dataset.Items[batch[b]].AudioPath, reference, greedyText, double.NaN,
                                ErrorRateAccumulator.CharacterErrorRateOf(reference, greedyText), beamText,
                                beamText is null ? double.NaN : ErrorRateAccumulator.CharacterErrorRateOf(reference, beamText));
                        }
                    }
                }
                else
                {
                    var (probabilities, indices) = logits.softmax(-1).max(-1);
                    var predicted = indices.data<long>().ToArray();
                    var probability = probabilities.data<float>().ToArray();
                    for (var b = 0; b < batch.Length; b++)
                    {
                        var item = dataset.Items[batch[b]];
                        var label = labels[(int)predicted[b]];
                        classes.Add(item.Reference, label);
                        if (perItem is not null)
                        {
                            perItem[batch[b]] = new UtterancePrediction(item.AudioPath, item.Reference, label, probability[b], double.NaN, null, double.NaN);
                        }
                    }
                }

                done += batch.Length;
                progress?.Invoke(done, dataset.Count);
            }
        }
        finally
        {
            backbone.train(wasTraining);
            head.train(wasTraining);
        }

        predictions?.AddRange(perItem!);
        var metrics = new Dictionary<string, double>(StringComparer.Ordinal) { [prefix + "_loss"] = lossSum / Math.Max(1, dataset.Count) };
        if (isCtc)
        {
            metrics[prefix + "_cer"] = greedy.CharacterErrorRate;
            metrics[prefix + "_wer"] = greedy.WordErrorRate;
            if (beam)
            {
                metrics[prefix + "_cer_beam"] = beamed.CharacterErrorRate;
                metrics[prefix + "_wer_beam"] = beamed.WordErrorRate;
            }
        }
        else
        {
            metrics[prefix + "_accuracy"] = classes.Accuracy;
            metrics[prefix + "_macro_f1"] = classes.MacroF1;
        }

        return metrics;
    }

    private static (Tensor Hidden, Tensor? Frames) Backbone(Wav2Vec2Model backbone, SpeechDataset dataset, int[] batch)
    {
        var tensors = BatchTensors.Create(dataset, batch);
        return backbone.call(tensors.Waveforms, tensors.Lengths);
    }
}
