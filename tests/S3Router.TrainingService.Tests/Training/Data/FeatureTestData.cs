using S3Router.Core.Audio;
using S3Router.TrainingService.Model;
using S3Router.TrainingService.Training.Data;
using static TorchSharp.torch;

namespace S3Router.TrainingService.Tests.Training.Data;

/// <summary>A seeded tiny backbone in eval mode and short synthetic utterances, for the frozen-feature tests.</summary>
internal static class FeatureTestData
{
    public static Wav2Vec2Model Backbone()
    {
        manual_seed(11);
        var model = Wav2Vec2Model.Create(TrainingTestData.TinyConfig);
        model.eval();
        return model;
    }

    /// <summary>One WAV file in <paramref name="root"/> per length (samples at 16 kHz), different sounds each.</summary>
    public static SpeechDataset Dataset(string root, params int[] lengths)
    {
        var random = new Random(3);
        var items = lengths.Select((length, i) =>
        {
            var samples = Enumerable.Range(0, length).Select(t => (float)(0.3 * Math.Sin(t * (0.01 + (0.02 * i))) + (0.05 * (random.NextDouble() - 0.5)))).ToArray();
            var path = Path.Combine(root, $"u{i}.wav");
            File.WriteAllBytes(path, WavWriter.Write(samples, AudioDecoder.TargetSampleRateHertz));
            return new DatasetItem(path, length, "", [0]);
        }).ToList();
        return new SpeechDataset("train", items);
    }
}
