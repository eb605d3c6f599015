using Microsoft.ML.OnnxRuntime;
using SessionOptions = Microsoft.ML.OnnxRuntime.SessionOptions;
using S3Router.Core.Backbones;

namespace S3Router.InferenceService.Onnx;

/// <summary>
/// The backbone's encoder tensors as ONNX Runtime initializers over the backbone's own arrays (pinned, not copied), and
/// one container for their pre-packed GEMM forms. Every encoder session takes the tensors its route leaves unmasked
/// from here, so those weights and their pre-packed copies exist once per process instead of once per hot route
/// (reference: onnxruntime SessionOptions.AddInitializer, PrePackedWeightsContainer). Dispose only after every session
/// that used it.
/// </summary>
internal sealed class SharedEncoderWeights : IDisposable
{
    private readonly Dictionary<string, (WeightTensor Tensor, OrtValue Value)> _values = new(StringComparer.Ordinal);

    /// <param name="config">The backbone's config.</param>
    /// <param name="weights">The backbone's normalised weights; the arrays must stay alive and unchanged.</param>
    public SharedEncoderWeights(Wav2Vec2Config config, IReadOnlyDictionary<string, WeightTensor> weights)
    {
        foreach (var (name, tensor) in weights)
        {
            if (!Wav2Vec2OnnxBuilder.IsFrontendParameter(config, name))
            {
                _values[name] = (tensor, OrtValue.CreateTensorValueFromMemory(tensor.Data, tensor.Shape));
            }
        }
    }

    /// <summary>Pre-packed forms of the shared tensors, filled by the first session that packs each one.</summary>
    public PrePackedWeightsContainer Container { get; } = new();

    /// <summary>
    /// True when the session may take <paramref name="name"/> from here: <paramref name="tensor"/> is the backbone's own
    /// (not masked, not shrunk).
    /// </summary>
    public bool IsShared(string name, WeightTensor tensor) =>
        _values.TryGetValue(name, out var shared) && ReferenceEquals(shared.Tensor, tensor);

    /// <summary>Adds the shared initializer <paramref name="name"/> to <paramref name="options"/>.</summary>
    public void AddTo(SessionOptions options, string name) => options.AddInitializer(name, _values[name].Value);

    public void Dispose()
    {
        foreach (var (_, value) in _values.Values)
        {
            value.Dispose();
        }

        _values.Clear();
        Container.Dispose();
    }
}
