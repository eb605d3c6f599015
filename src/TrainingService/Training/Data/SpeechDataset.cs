namespace S3Router.TrainingService.Training.Data;

/// <summary>
/// The utterances of one split with their targets; audio is read on demand through <see cref="AudioLoader"/> and
/// kept in memory while the split's total stays under a budget (small low-resource sets are read once).
/// </summary>
internal sealed class SpeechDataset(string split, IReadOnlyList<DatasetItem> items)
{
    // 128 M samples = 512 MB of float audio per split (about 2.2 h at 16 kHz).
    private const long CacheBudgetSamples = 128L * 1024 * 1024;

    private readonly Dictionary<int, float[]> _cache = [];
    private readonly bool _cacheAll = items.Sum(i => i.Samples) <= CacheBudgetSamples;

    public string Split { get; } = split;

    public IReadOnlyList<DatasetItem> Items { get; } = items;

    public int Count => Items.Count;

    /// <summary>16 kHz mono samples of item <paramref name="index"/>.</summary>
    public float[] LoadAudio(int index)
    {
        if (_cache.TryGetValue(index, out var cached))
        {
            return cached;
        }

        var audio = AudioLoader.Load(Items[index].AudioPath);
        if (_cacheAll)
        {
            _cache[index] = audio;
        }

        return audio;
    }
}
