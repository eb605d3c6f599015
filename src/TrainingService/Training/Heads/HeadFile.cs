using System.Text.Json;
using S3Router.Core.Errors;
using S3Router.Core.Masks;
using S3Router.Core.Safetensors;
using S3Router.TrainingService.Model;

namespace S3Router.TrainingService.Training.Heads;

/// <summary>
/// <c>head.safetensors</c> beside a weights job's finetuned backbone: the head tensors (F32, <c>head.*</c> names as
/// in bundles) and metadata <c>head_kind</c> (<c>ctc</c> | <c>classifier</c>), <c>pooling</c>, <c>labels</c> (JSON
/// array), <c>task</c>, <c>language</c>, <c>metrics</c> (JSON object), <c>torch_threads</c> (the job's libtorch
/// thread count, when known), <c>onednn_max_isa</c> (oneDNN's level in the job, when not oneDNN's own). A prune job
/// starts from it.
/// </summary>
internal static class HeadFile
{
    public const string FileName = "head.safetensors";

    public static void Write(string path, IReadOnlyList<HeadTensor> tensors, bool isCtc, ClassifierPooling pooling, IReadOnlyList<string> labels,
        string task, string language, IReadOnlyDictionary<string, double> metrics, int torchThreads = 0, string oneDnnMaxIsa = "")
    {
        var writer = new SafetensorsWriter();
        foreach (var tensor in tensors)
        {
            writer.AddFloat32(tensor.Name, tensor.Shape, tensor.Values);
        }

        writer.SetMetadata("head_kind", isCtc ? "ctc" : "classifier");
        writer.SetMetadata("pooling", pooling == ClassifierPooling.ConvMax ? "conv_max" : pooling.ToString().ToLowerInvariant());
        writer.SetMetadata("labels", JsonSerializer.Serialize(labels));
        writer.SetMetadata("task", task);
        writer.SetMetadata("language", language);
        writer.SetMetadata("metrics", JsonSerializer.Serialize(metrics.OrderBy(m => m.Key, StringComparer.Ordinal).ToDictionary()));
        if (torchThreads > 0)
        {
            writer.SetMetadata("torch_threads", torchThreads.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        if (oneDnnMaxIsa.Length > 0)
        {
            writer.SetMetadata("onednn_max_isa", oneDnnMaxIsa);
        }

        writer.WriteToFile(path);
    }

    /// <summary>Reads a head file; a missing one throws <see cref="NotFoundException"/>.</summary>
    public static (IReadOnlyDictionary<string, HostTensor> Tensors, bool IsCtc, IReadOnlyList<string> Labels) Read(string path)
    {
        if (!File.Exists(path))
        {
            throw new NotFoundException($"Head file '{path}' does not exist; finetuned_model_path must be the output of a weights job.");
        }

        using var file = SafetensorsFile.Open(path);
        var labels = file.Metadata.TryGetValue("labels", out var json) ? JsonSerializer.Deserialize<List<string>>(json) : null;
        if (labels is null || labels.Count == 0 || !file.Metadata.TryGetValue("head_kind", out var kind))
        {
            throw new InvalidInputException($"Head file '{path}' has no labels or head_kind.", "finetuned_model_path");
        }

        var tensors = file.Tensors.ToDictionary(t => t.Key, t => new HostTensor(file.ReadFloat32(t.Key), [.. t.Value.Shape]), StringComparer.Ordinal);
        return (tensors, kind == "ctc", labels);
    }

    /// <summary>The <c>task</c> and <c>language</c> a head file records (empty when absent); a missing file throws <see cref="NotFoundException"/>.</summary>
    public static (string Task, string Language) ReadRoute(string path)
    {
        if (!File.Exists(path))
        {
            throw new NotFoundException($"Head file '{path}' does not exist.");
        }

        using var file = SafetensorsFile.Open(path);
        return (file.Metadata.GetValueOrDefault("task", ""), file.Metadata.GetValueOrDefault("language", ""));
    }
}
