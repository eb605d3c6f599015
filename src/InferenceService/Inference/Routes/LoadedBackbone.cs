using S3Router.Core.Backbones;
using S3Router.InferenceService.Onnx;

namespace S3Router.InferenceService.Inference.Routes;

/// <summary>The backbone of this pod: config, normalised float32 weights (canonical names) and identity.</summary>
internal sealed class LoadedBackbone
{
    public LoadedBackbone(Wav2Vec2Config config, Dictionary<string, WeightTensor> weights, string digest)
    {
        Config = config;
        Weights = weights;
        Digest = digest;
        Shapes = weights.ToDictionary(w => w.Key, w => w.Value.Shape, StringComparer.Ordinal);
        SessionBytes = weights.Values.Sum(w => (long)w.Data.Length * sizeof(float));
        EncoderBytes = weights.Where(w => !Wav2Vec2OnnxBuilder.IsFrontendParameter(config, w.Key)).Sum(w => (long)w.Value.Data.Length * sizeof(float));
        FrameHop = TimeSpan.FromSeconds((double)config.FrameHopSamples / Core.Audio.AudioDecoder.TargetSampleRateHertz);
        MinimumSamples = Wav2Vec2OnnxBuilder.MinimumSamples(config);
    }

    public Wav2Vec2Config Config { get; }

    /// <summary>Weights under canonical names (no <c>wav2vec2.</c> prefix, weight norm folded).</summary>
    public Dictionary<string, WeightTensor> Weights { get; }

    /// <summary>sha256 hex of <c>model.safetensors</c>.</summary>
    public string Digest { get; }

    public IReadOnlyDictionary<string, long[]> Shapes { get; }

    /// <summary>Bytes of the backbone's float32 tensors (a whole-graph session holds all of them).</summary>
    public long SessionBytes { get; }

    /// <summary>Bytes of the float32 tensors outside the shared frontend (the unmasked encoder session; routes share them, see <see cref="EncoderSessionFactory"/>).</summary>
    public long EncoderBytes { get; }

    /// <summary>Audio time between two output frames (20 ms for the standard strides).</summary>
    public TimeSpan FrameHop { get; }

    /// <summary>Fewest 16 kHz samples that give one frame.</summary>
    public long MinimumSamples { get; }
}
