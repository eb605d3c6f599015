using System.Security.Cryptography;
using S3Router.Core.Errors;

namespace S3Router.TrainingService.Training.Data;

/// <summary>The splits of a job with their targets, the label set and the dataset digest.</summary>
internal sealed class JobData
{
    private JobData(SpeechDataset train, SpeechDataset? valid, SpeechDataset? test, IReadOnlyList<string> labels, string digest)
    {
        Train = train;
        Valid = valid;
        Test = test;
        Labels = labels;
        DatasetDigest = digest;
    }

    public SpeechDataset Train { get; }

    public SpeechDataset? Valid { get; }

    public SpeechDataset? Test { get; }

    /// <summary>CTC vocabulary (blank first) or class names, in index order.</summary>
    public IReadOnlyList<string> Labels { get; }

    /// <summary>sha256 hex over the manifest and label files of every split used, in train, valid, test order.</summary>
    public string DatasetDigest { get; }

    /// <summary>Utterances dropped from training because they cannot fit one batch (CTC ones are never cropped).</summary>
    public int SkippedTooLong { get; private init; }

    /// <summary>
    /// Reads the splits. <paramref name="fixedLabels"/> (a prune job's finetuned head) overrides the label set that
    /// would otherwise come from <c>dict.&lt;ext&gt;.txt</c> or the training labels. Missing valid/test splits are allowed.
    /// </summary>
    public static JobData Load(JobOptions options, IReadOnlyList<string>? fixedLabels)
    {
        if (!Directory.Exists(options.ManifestDir))
        {
            throw new NotFoundException($"Manifest directory '{options.ManifestDir}' does not exist.");
        }

        var train = ManifestReader.Read(options.ManifestDir, options.TrainSplit, options.LabelExtension);
        if (train.Count == 0)
        {
            throw new InvalidInputException($"Training split '{options.TrainSplit}' has no utterances.", "dataset.train_split");
        }

        var valid = Optional(options, options.ValidSplit);
        var test = Optional(options, options.TestSplit);
        var isWords = options.LabelExtension == "wrd";

        IReadOnlyList<string> labels;
        Func<ManifestEntry, DatasetItem> toItem;
        if (options.IsCtc)
        {
            var dictionary = Path.Combine(options.ManifestDir, $"dict.{options.LabelExtension}.txt");
            var vocabulary = fixedLabels is not null ? new CtcVocabulary(fixedLabels)
                : File.Exists(dictionary) ? CtcVocabulary.FromDictionary(dictionary)
                : CtcVocabulary.FromTranscripts(train.Select(e => CtcVocabulary.Tokenize(e.Label, isWords)));
            labels = vocabulary.Labels;
            toItem = e =>
            {
                var tokens = CtcVocabulary.Tokenize(e.Label, isWords);
                return new DatasetItem(e.AudioPath, e.Samples, Metrics.CtcText.TokensToText(tokens), vocabulary.Encode(tokens, out _));
            };
        }
        else
        {
            labels = fixedLabels ?? train.Select(e => e.Label).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
            var index = labels.Select((l, i) => (l, i)).ToDictionary(x => x.l, x => (long)x.i, StringComparer.Ordinal);
            toItem = e => new DatasetItem(e.AudioPath, e.Samples, e.Label, [index.GetValueOrDefault(e.Label, -1)]);
        }

        var trainItems = train.Select(toItem).ToList();
        var skipped = 0;
        if (options.IsCtc)
        {
            skipped = trainItems.RemoveAll(i => i.Samples > options.MaxTokens || i.Targets.Length == 0);
            if (trainItems.Count == 0)
            {
                throw new InvalidInputException(
                    $"No training utterance has a transcript and fits max_tokens = {options.MaxTokens} samples.", "optimization.max_tokens");
            }
        }

        return new JobData(
            new SpeechDataset(options.TrainSplit, trainItems),
            valid is null ? null : new SpeechDataset(options.ValidSplit, valid.Select(toItem).ToList()),
            test is null ? null : new SpeechDataset(options.TestSplit, test.Select(toItem).ToList()),
            labels,
            Digest(options, valid is not null, test is not null))
        {
            SkippedTooLong = skipped,
        };
    }

    private static IReadOnlyList<ManifestEntry>? Optional(JobOptions options, string split) =>
        ManifestReader.Exists(options.ManifestDir, split) ? ManifestReader.Read(options.ManifestDir, split, options.LabelExtension) : null;

    private static string Digest(JobOptions options, bool hasValid, bool hasTest)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var splits = new List<string> { options.TrainSplit };
        if (hasValid)
        {
            splits.Add(options.ValidSplit);
        }

        if (hasTest)
        {
            splits.Add(options.TestSplit);
        }

        foreach (var split in splits)
        {
            hash.AppendData(File.ReadAllBytes(ManifestReader.ManifestPath(options.ManifestDir, split)));
            hash.AppendData(File.ReadAllBytes(ManifestReader.LabelPath(options.ManifestDir, split, options.LabelExtension)));
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}
