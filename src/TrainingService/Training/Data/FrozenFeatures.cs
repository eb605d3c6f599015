using S3Router.TrainingService.Model;
using static TorchSharp.torch;

namespace S3Router.TrainingService.Training.Data;

/// <summary>
/// The features of a frozen backbone for every training utterance (its last hidden states, or the all-states
/// features of a statistics-pooling head), computed once (eval mode, no gradients). A head job trains only its head, so every epoch after the first would recompute the same features:
/// with them cached a step costs the head alone, which makes thousands of probe steps cheap.
/// </summary>
internal sealed class FrozenFeatures
{
    // 2 GiB of float32 hidden states: about 11 h of audio for a 256-wide backbone, 3.6 h for a 768-wide one.
    private const long BudgetBytes = 2L << 30;

    private readonly float[][] _hidden;
    private readonly int[] _frames;
    private readonly int _width;

    private FrozenFeatures(float[][] hidden, int[] frames, int width) => (_hidden, _frames, _width) = (hidden, frames, width);

    /// <summary>
    /// Features of every item of <paramref name="train"/>, or null when they would not fit the memory budget.
    /// <paramref name="progress"/> receives (utterances done, total) after each batch.
    /// </summary>
    public static FrozenFeatures? TryCompute(Wav2Vec2Model backbone, SpeechDataset train, long maxTokens, Action<int, int> progress)
    {
        var width = (int)backbone.OutputWidth;
        var totalFrames = train.Items.Sum(i => backbone.OutputFrames(i.Samples));
        if (totalFrames * width * sizeof(float) > BudgetBytes)
        {
            return null;
        }

        var hidden = new float[train.Count][];
        var frames = new int[train.Count];
        var done = 0;
        foreach (var batch in DynamicBatcher.CreateBatches(train.Items.Select(i => i.Samples).ToList(), maxTokens))
        {
            var features = backbone.ExtractFeatures(batch.Select(train.LoadAudio).ToList());
            for (var i = 0; i < batch.Length; i++)
            {
                var item = features[i];
                frames[batch[i]] = item.GetLength(0);
                var flat = new float[item.Length];
                Buffer.BlockCopy(item, 0, flat, 0, item.Length * sizeof(float));
                hidden[batch[i]] = flat;
            }

            done += batch.Length;
            progress(done, train.Count);
        }

        return new FrozenFeatures(hidden, frames, width);
    }

    /// <summary>
    /// A zero-padded batch of cached features [batch, frames, hidden] and the valid frames [batch] (in the caller's
    /// dispose scope). With <paramref name="cropFrames"/>, longer items are cut to that many frames at an offset
    /// drawn from <paramref name="cropSeed"/>, as <see cref="BatchTensors.Create"/> crops audio.
    /// </summary>
    public (Tensor Hidden, Tensor Frames) Batch(IReadOnlyList<int> indices, long? cropFrames, int cropSeed)
    {
        var random = new Random(cropSeed);
        var spans = indices.Select(i =>
        {
            var (offset, length) = (0, _frames[i]);
            if (cropFrames is { } crop && length > crop)
            {
                offset = random.Next(length - (int)crop + 1);
                length = (int)crop;
            }

            return (Item: i, Offset: offset, Length: length);
        }).ToList();
        var longest = Math.Max(1, spans.Max(s => s.Length));
        var padded = new float[spans.Count * longest * _width];
        for (var b = 0; b < spans.Count; b++)
        {
            var (item, offset, length) = spans[b];
            Array.Copy(_hidden[item], offset * _width, padded, b * longest * _width, length * _width);
        }

        return (tensor(padded, [spans.Count, longest, _width]), tensor(spans.Select(s => (long)s.Length).ToArray()));
    }
}
