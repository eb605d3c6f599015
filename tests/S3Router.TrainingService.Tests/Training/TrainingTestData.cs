using System.Diagnostics;
using System.Globalization;
using S3Router.Api.V1;
using S3Router.Core.Audio;
using S3Router.Core.Backbones;
using S3Router.Testing;
using S3Router.TrainingService.Model;
using static TorchSharp.torch;

namespace S3Router.TrainingService.Tests.Training;

/// <summary>A temporary directory with a tiny backbone and tiny datasets, deleted on dispose.</summary>
internal sealed class TrainingTestData : IDisposable
{
    /// <summary>Standard 7-layer conv frontend (320 samples per frame) with tiny widths; no dropout so tests learn fast.</summary>
    public static readonly Wav2Vec2Config TinyConfig = TinyConfigs.StandardFrontend;

    private static readonly string[] Words = ["go", "stop", "yes", "no"];

    public TrainingTestData()
    {
        Root = Directory.CreateTempSubdirectory("s3r-train-").FullName;
        BackboneDir = Path.Combine(Root, "backbone");
        manual_seed(7);
        using var model = Wav2Vec2Model.Create(TinyConfig);
        model.SaveHuggingFace(BackboneDir);
    }

    public string Root { get; }

    public string BackboneDir { get; }

    public string WorkDir(string name) => Path.Combine(Root, "work-" + name);

    /// <summary>Spoken words by espeak-ng (two speeds each), resampled to 16 kHz; train, valid and test are the same set.</summary>
    public string CreateSpokenWords()
    {
        var dir = Path.Combine(Root, "asr");
        Directory.CreateDirectory(dir);
        var lines = new List<(string File, int Samples, string Letters)>();
        foreach (var word in Words)
        {
            foreach (var speed in new[] { 130, 170 })
            {
                var file = $"{word}-{speed}.wav";
                var raw = Path.Combine(dir, "raw-" + file);
                using (var process = Process.Start("espeak-ng", ["-v", "en", "-s", speed.ToString(CultureInfo.InvariantCulture), "-w", raw, word]))
                {
                    process.WaitForExit();
                }

                var wav = WavReader.Read(File.ReadAllBytes(raw));
                var samples = AudioResampler.Resample(wav.Samples, wav.SampleRateHertz, AudioDecoder.TargetSampleRateHertz);
                File.WriteAllBytes(Path.Combine(dir, file), WavWriter.Write(samples, AudioDecoder.TargetSampleRateHertz));
                lines.Add((file, samples.Length, string.Join(' ', word.ToCharArray()) + " |"));
            }
        }

        foreach (var split in new[] { "train", "valid", "test" })
        {
            File.WriteAllLines(Path.Combine(dir, split + ".tsv"), [dir, .. lines.Select(l => $"{l.File}\t{l.Samples}")]);
            File.WriteAllLines(Path.Combine(dir, split + ".ltr"), lines.Select(l => l.Letters));
        }

        return dir;
    }

    /// <summary>
    /// Three classes of 0.3 to 0.6 s synthetic sounds: "tone" (a sine between 300 and 600 Hz), "noise" (white noise),
    /// "clicks" (a click train every 8 to 12 ms), all with a little noise; test and valid use other seeds than train.
    /// </summary>
    public string CreateTones()
    {
        var dir = Path.Combine(Root, "tones");
        Directory.CreateDirectory(dir);
        var classes = new[] { "tone", "noise", "clicks" };
        foreach (var (split, count, seed) in new[] { ("train", 8, 1), ("valid", 2, 2), ("test", 4, 3) })
        {
            var random = new Random(seed);
            var tsv = new List<string> { dir };
            var labels = new List<string>();
            foreach (var name in classes)
            {
                for (var i = 0; i < count; i++)
                {
                    var length = random.Next(4800, 9600);
                    var hertz = random.Next(300, 600);
                    var period = random.Next(128, 192);
                    var samples = Enumerable.Range(0, length).Select(t =>
                    {
                        var noise = (random.NextDouble() * 2) - 1;
                        return (float)(name switch
                        {
                            "tone" => (0.5 * Math.Sin(2 * Math.PI * hertz * t / 16000)) + (0.02 * noise),
                            "noise" => 0.5 * noise,
                            _ => (t % period == 0 ? 0.9 : 0) + (0.02 * noise),
                        });
                    }).ToArray();
                    var file = $"{split}-{name}-{i}.wav";
                    File.WriteAllBytes(Path.Combine(dir, file), WavWriter.Write(samples, 16000));
                    tsv.Add($"{file}\t{length}");
                    labels.Add(name);
                }
            }

            File.WriteAllLines(Path.Combine(dir, split + ".tsv"), tsv);
            File.WriteAllLines(Path.Combine(dir, split + ".label"), labels);
        }

        return dir;
    }

    public JobSpec AsrSpec(JobKind kind, string manifestDir, long steps, double lr) => new()
    {
        Kind = kind,
        Task = "asr",
        LanguageCode = "en",
        BackbonePath = BackboneDir,
        Dataset = new DatasetSpec { ManifestDir = manifestDir },
        Optimization = new OptimizationSpec { MaxSteps = steps, LearningRate = lr, MaxTokens = 40_000, EvalIntervalSteps = 1000, CheckpointIntervalSteps = 1000 },
        Seed = 11,
    };

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // best effort
        }
    }
}
