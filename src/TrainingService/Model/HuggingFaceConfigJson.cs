using System.Text.Json;
using System.Text.Json.Nodes;
using S3Router.Core.Backbones;
using S3Router.Core.Errors;

namespace S3Router.TrainingService.Model;

/// <summary>Reads and writes <c>config.json</c> in Hugging Face's layout (snake_case field names).</summary>
internal static class HuggingFaceConfigJson
{
    private static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
    };

    public static Wav2Vec2Config Read(string path)
    {
        if (!File.Exists(path))
        {
            throw new InvalidInputException($"Backbone config '{path}' does not exist.", "config.json");
        }

        try
        {
            return JsonSerializer.Deserialize<Wav2Vec2Config>(File.ReadAllText(path), Options)
                ?? throw new InvalidInputException($"'{path}' holds no config object.", "config.json");
        }
        catch (JsonException e)
        {
            throw new InvalidInputException($"'{path}' is not a valid config: {e.Message}", e.Path ?? "config.json", e);
        }
    }

    public static void Write(string path, Wav2Vec2Config config)
    {
        var node = JsonSerializer.SerializeToNode(config, Options)!.AsObject();
        node.Remove("frame_hop_samples"); // derived, not a Hugging Face field
        node["architectures"] = new JsonArray(config.ModelType == "hubert" ? "HubertModel" : "Wav2Vec2Model");
        node["torch_dtype"] = "float32";
        File.WriteAllText(path, node.ToJsonString(Options) + "\n");
    }
}
