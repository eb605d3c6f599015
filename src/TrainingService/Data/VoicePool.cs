namespace S3Router.TrainingService.Data;

/// <summary>
/// The speakers one split may use, and how an utterance picks among them: first espeak-ng or the other engines
/// (the others weigh 0.15 per speaker, at most one half, so a lone festival voice does not dominate), then a
/// speaker, then one of that speaker's engine voices.
/// </summary>
internal sealed class VoicePool(IReadOnlyList<SynthVoice> espeak, IReadOnlyList<IReadOnlyList<SynthVoice>> others)
{
    public IReadOnlyList<SynthVoice> Espeak { get; } = espeak;

    public IReadOnlyList<IReadOnlyList<SynthVoice>> Others { get; } = others;

    public IEnumerable<string> Speakers => Espeak.Select(v => v.Speaker).Concat(Others.Select(o => o[0].Speaker));

    public bool IsEmpty => Espeak.Count == 0 && Others.Count == 0;

    public VoiceRendition Draw(string espeakVoice, Random random)
    {
        var otherWeight = Others.Count == 0 ? 0 : Espeak.Count == 0 ? 1 : Math.Min(0.5, 0.15 * Others.Count);
        if (random.NextDouble() < otherWeight)
        {
            var speaker = Others[random.Next(Others.Count)];
            return new VoiceRendition(speaker[random.Next(speaker.Count)], espeakVoice, 50, random.Next(150, 201));
        }
        var variant = Espeak[random.Next(Espeak.Count)];
        return new VoiceRendition(variant, espeakVoice, random.Next(25, 76), random.Next(140, 211));
    }

    /// <summary>
    /// Splits speakers into train, valid and test: per family (espeak-ng / other engines), about 10% each to valid
    /// and test when there are at least three, one to test when there are two, none when there is one.
    /// </summary>
    public static (VoicePool Train, VoicePool Valid, VoicePool Test) Partition(
        IEnumerable<SynthVoice> espeak, IEnumerable<SynthVoice> others, Random random)
    {
        var (eTrain, eValid, eTest) = Split(espeak.Select(v => (IReadOnlyList<SynthVoice>)[v]), random);
        var (oTrain, oValid, oTest) = Split(
            others.GroupBy(v => v.Speaker, StringComparer.Ordinal).Select(g => (IReadOnlyList<SynthVoice>)[.. g]), random);
        return (new(Flat(eTrain), oTrain), new(Flat(eValid), oValid), new(Flat(eTest), oTest));

        static List<SynthVoice> Flat(List<IReadOnlyList<SynthVoice>> groups) => [.. groups.Select(g => g[0])];
    }

    private static (List<IReadOnlyList<SynthVoice>>, List<IReadOnlyList<SynthVoice>>, List<IReadOnlyList<SynthVoice>>) Split(
        IEnumerable<IReadOnlyList<SynthVoice>> speakers, Random random)
    {
        var sorted = speakers.OrderBy(s => s[0].Speaker, StringComparer.Ordinal).ToList();
        var shuffled = StableHash.Shuffle(sorted, random);
        var heldOut = shuffled.Count switch
        {
            >= 3 => Math.Max(1, (int)Math.Round(shuffled.Count * 0.1)),
            _ => 0,
        };
        var test = shuffled.Take(shuffled.Count == 2 ? 1 : heldOut).ToList();
        var valid = shuffled.Skip(test.Count).Take(heldOut).ToList();
        var train = shuffled.Skip(test.Count + valid.Count).ToList();
        return (train, valid, test);
    }
}
