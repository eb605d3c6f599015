using static TorchSharp.torch;

namespace S3Router.TrainingService.Training.Data;

/// <summary>
/// A padded batch: waveforms [batch, samples] float32, lengths [batch] int64, each item's targets, and where each item's
/// audio starts in its utterance (samples; 0 unless cropped).
/// </summary>
internal sealed record BatchTensors(Tensor Waveforms, Tensor Lengths, IReadOnlyList<int> Indices, IReadOnlyList<long[]> Targets, IReadOnlyList<int> Offsets)
{
    /// <summary>
    /// Reads and zero-pads the items (in the caller's dispose scope). With <paramref name="cropSamples"/>, longer
    /// audio is cut to that length at an offset drawn from <paramref name="cropSeed"/>.
    /// </summary>
    public static BatchTensors Create(SpeechDataset dataset, IReadOnlyList<int> indices, long? cropSamples = null, int cropSeed = 0)
    {
        var random = new Random(cropSeed);
        var offsets = new int[indices.Count];
        var audio = indices.Select((i, b) =>
        {
            var samples = dataset.LoadAudio(i);
            if (cropSamples is { } crop && samples.Length > crop)
            {
                offsets[b] = random.Next(samples.Length - (int)crop + 1);
                return samples.AsSpan(offsets[b], (int)crop).ToArray();
            }

            return samples;
        }).ToList();
        var longest = audio.Max(a => a.Length);
        var padded = new float[audio.Count * longest];
        for (var i = 0; i < audio.Count; i++)
        {
            audio[i].CopyTo(padded, i * longest);
        }

        return new BatchTensors(
            tensor(padded, [audio.Count, longest]),
            tensor(audio.Select(a => (long)a.Length).ToArray()),
            indices,
            indices.Select(i => dataset.Items[i].Targets).ToList(),
            offsets);
    }
}
