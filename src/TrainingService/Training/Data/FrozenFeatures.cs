using System.Runtime.InteropServices;
using S3Router.TrainingService.Model;
using static TorchSharp.torch;

namespace S3Router.TrainingService.Training.Data;

/// <summary>
/// The features of a frozen backbone for every training utterance (its last hidden states, or the all-states
/// features of a statistics-pooling or conv_max head), computed once (eval mode, no gradients). A head job trains only
/// its head, so every epoch after the first would recompute the same features: with them cached a step costs the head
/// alone, which makes thousands of probe steps cheap. Stored as float32 when they fit the budget, else as float16
/// (half the bytes; relative rounding ≤ 2^-11, values beyond ±65504 saturate) when that fits, else not at all.
/// </summary>
internal sealed class FrozenFeatures
{
    /// <summary>
    /// Default memory budget of the cache, 2 GiB (<see cref="JobRunner.FeatureCacheVariable"/> sets another): about 11 h of
    /// audio as float32 hidden states of a 256-wide backbone, 3.6 h of a 768-wide one; all-states features are
    /// (L+1)·H + conv_dim wide, so about 2 h of tiny-ssl's as float16.
    /// </summary>
    public const long DefaultBudgetBytes = 2L << 30;

    private const float MaxHalf = 65504f;
    private const float MinHalf = -MaxHalf;

    private readonly float[][]? _single;
    private readonly Half[][]? _half;
    private readonly int[] _frames;
    private readonly int _width;

    private FrozenFeatures(float[][]? single, Half[][]? half, int[] frames, int width) => (_single, _half, _frames, _width) = (single, half, frames, width);

    /// <summary>Bytes the features take (what counts against the budget).</summary>
    public long Bytes => _frames.Sum(f => (long)f) * _width * (_half is not null ? sizeof(short) : sizeof(float));

    /// <summary>Whether the features are held as float16 (they did not fit the budget as float32).</summary>
    public bool IsHalfPrecision => _half is not null;

    /// <summary>Utterances held.</summary>
    public int Count => _frames.Length;

    /// <summary>Values per frame.</summary>
    public int Width => _width;

    /// <summary>Frames of item <paramref name="item"/>.</summary>
    public int FramesOf(int item) => _frames[item];

    /// <summary>The values of item <paramref name="item"/> [frames, width] (float32 or float16, machine byte order) as bytes.</summary>
    public ReadOnlySpan<byte> ItemBytes(int item) =>
        _half is not null ? MemoryMarshal.AsBytes(_half[item].AsSpan()) : MemoryMarshal.AsBytes(_single![item].AsSpan());

    /// <summary>
    /// Features of <paramref name="frames"/>.Length items <paramref name="width"/> wide whose values
    /// <paramref name="read"/> writes, item by item, straight into their arrays (the bytes of
    /// <see cref="ItemBytes"/>): a stored cache is never held twice.
    /// </summary>
    public static FrozenFeatures Read(int[] frames, int width, bool half, Action<Span<byte>> read)
    {
        var single = half ? null : new float[frames.Length][];
        var halves = half ? new Half[frames.Length][] : null;
        for (var i = 0; i < frames.Length; i++)
        {
            var values = frames[i] * width;
            if (halves is not null)
            {
                halves[i] = new Half[values];
                read(MemoryMarshal.AsBytes(halves[i].AsSpan()));
            }
            else
            {
                single![i] = new float[values];
                read(MemoryMarshal.AsBytes(single[i].AsSpan()));
            }
        }

        return new FrozenFeatures(single, halves, frames, width);
    }

    /// <summary>
    /// How the features of every item of <paramref name="dataset"/> fit <paramref name="budgetBytes"/>: as float32
    /// (false), only as float16 (true), or not at all (null).
    /// </summary>
    public static bool? HalfPrecision(Wav2Vec2Model backbone, SpeechDataset dataset, long budgetBytes)
    {
        var single = SingleBytes(backbone, dataset);
        return single / 2 > budgetBytes ? null : single > budgetBytes;
    }

    /// <summary>Bytes the features of every item of <paramref name="dataset"/> take as float32 (half that as float16).</summary>
    public static long SingleBytes(Wav2Vec2Model backbone, SpeechDataset dataset) =>
        dataset.Items.Sum(i => backbone.OutputFrames(i.Samples)) * backbone.OutputWidth * sizeof(float);

    /// <summary>
    /// Features of every item of <paramref name="dataset"/> (as float16 when <paramref name="half"/>), batched by
    /// <paramref name="maxTokens"/>. <paramref name="progress"/> receives (utterances done, total) after each batch.
    /// </summary>
    public static FrozenFeatures Compute(Wav2Vec2Model backbone, SpeechDataset dataset, long maxTokens, bool half, Action<int, int> progress)
    {
        var width = (int)backbone.OutputWidth;
        var single = half ? null : new float[dataset.Count][];
        var halves = half ? new Half[dataset.Count][] : null;
        var frames = new int[dataset.Count];
        var done = 0;
        foreach (var batch in DynamicBatcher.CreateBatches(dataset.Items.Select(i => i.Samples).ToList(), maxTokens))
        {
            backbone.ExtractFeatures(batch.Select(dataset.LoadAudio).ToList(), (i, source) =>
            {
                var index = batch[i];
                frames[index] = (int)(source.Length / width);
                if (halves is not null)
                {
                    var flat = new Half[source.Length];
                    for (var j = 0; j < flat.Length; j++)
                    {
                        flat[j] = (Half)Math.Clamp(source[j], MinHalf, MaxHalf);
                    }

                    halves[index] = flat;
                }
                else
                {
                    single![index] = source.ToArray();
                }
            });
            done += batch.Length;
            progress(done, dataset.Count);
        }

        return new FrozenFeatures(single, halves, frames, width);
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
        // Written straight into the tensor's native memory: a managed array per step (tens of MB, on the large object
        // heap) piled up as garbage to twice the cache's size before a full collection came (bench/README.md,
        // "Memory of a head job").
        var hidden = zeros([spans.Count, longest, _width]);
        var padded = MemoryMarshal.Cast<byte, float>(hidden.bytes);
        for (var b = 0; b < spans.Count; b++)
        {
            var (item, offset, length) = spans[b];
            var target = padded.Slice(b * longest * _width, length * _width);
            if (_half is not null)
            {
                var source = _half[item].AsSpan(offset * _width, length * _width);
                for (var j = 0; j < target.Length; j++)
                {
                    target[j] = (float)source[j];
                }
            }
            else
            {
                _single![item].AsSpan(offset * _width, length * _width).CopyTo(target);
            }
        }

        return (hidden, tensor(spans.Select(s => (long)s.Length).ToArray()));
    }
}
