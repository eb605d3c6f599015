using System.Text.Json;
using Microsoft.ML.OnnxRuntime;
using S3Router.Core.Backbones;
using S3Router.InferenceService.Onnx;
using static TorchSharp.torch;

namespace S3Router.Bench;

/// <summary><c>backbone-profile</c>: one ORT-profiled forward of a preset at a batch of 4 s utterances; time per operator type.</summary>
internal static class OnnxProfile
{
    public static async Task RunAsync(string preset, int batch)
    {
        var config = Wav2Vec2Config.FromPreset(preset);
        var root = Directory.CreateTempSubdirectory("s3r-profile-");
        try
        {
            manual_seed(1);
            using (var model = TrainingService.Model.Wav2Vec2Model.Create(config))
            {
                model.SaveHuggingFace(root.FullName);
            }

            var (_, weights) = await BackboneCheckpoint.LoadAsync(root.FullName);
            using var options = new SessionOptions
            {
                GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
                ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
                IntraOpNumThreads = 2,
                InterOpNumThreads = 1,
                // The prefix must be set first: setting EnableProfiling passes the current prefix to ORT.
                ProfileOutputPathPrefix = Path.Combine(root.FullName, "ort"),
                EnableProfiling = true,
            };
            using var session = new InferenceSession(Wav2Vec2OnnxBuilder.BuildBytes(config, weights), options);
            const int samples = 64_000;
            var random = new Random(3);
            var waveforms = Enumerable.Range(0, batch * samples).Select(_ => (float)((random.NextDouble() - 0.5) * 0.6)).ToArray();
            var lengths = Enumerable.Repeat((long)samples, batch).ToArray();
            for (var i = 0; i < 2; i++)
            {
                using var w = OrtValue.CreateTensorValueFromMemory(waveforms, [batch, samples]);
                using var l = OrtValue.CreateTensorValueFromMemory(lengths, [batch]);
                using var outputs = session.Run(new RunOptions(), [Wav2Vec2OnnxBuilder.WaveformsInput, Wav2Vec2OnnxBuilder.LengthsInput], [w, l], [Wav2Vec2OnnxBuilder.HiddenStateOutput]);
            }

            var file = session.EndProfiling();
            using var json = JsonDocument.Parse(File.ReadAllText(file));
            var byOp = json.RootElement.EnumerateArray()
                .Where(e => e.GetProperty("cat").GetString() == "Node" && e.GetProperty("name").GetString()!.EndsWith("_kernel_time", StringComparison.Ordinal))
                .GroupBy(e => e.GetProperty("args").GetProperty("op_name").GetString()!)
                .Select(g => (Op: g.Key, Microseconds: g.Sum(e => e.GetProperty("dur").GetInt64()) / 2.0))
                .OrderByDescending(x => x.Microseconds)
                .ToList();
            var total = byOp.Sum(x => x.Microseconds);
            Console.WriteLine($"ORT profile, {preset} batch {batch} x 4 s, mean of 2 runs: {total / 1e6:F2} s in kernels");
            foreach (var (op, us) in byOp.Take(12))
            {
                Console.WriteLine($"  {op,-28} {us / 1e6,8:F3} s  {us / total,6:P1}");
            }
        }
        finally
        {
            root.Delete(recursive: true);
        }
    }
}
