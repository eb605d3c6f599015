using System.Runtime.InteropServices;
using S3Router.Core.Backbones;
using S3Router.Core.Errors;
using S3Router.Core.Masks;
using S3Router.Core.Safetensors;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace S3Router.TrainingService.Model;

/// <summary>
/// A wav2vec2 / HuBERT backbone in TorchSharp: conv feature extractor, feature projection, transformer encoder,
/// in both Hugging Face styles (base and stable layer norm). Field names follow Hugging Face, so
/// <c>state_dict()</c> keys are checkpoint names without the <c>wav2vec2.</c> prefix
/// (<c>encoder.layers.0.feed_forward.intermediate_dense.weight</c>). Optionally some linear layers are
/// <see cref="MaskedLinear"/> (S3-Router). Create on the CPU, load, then move with <c>.to(device)</c>.
/// Reference: torchaudio/models/wav2vec2/model.py (Wav2Vec2Model).
/// </summary>
public sealed class Wav2Vec2Model : nn.Module<Tensor, Tensor?, (Tensor Hidden, Tensor? Lengths)>
{
    private readonly Parameter? masked_spec_embed;
    private readonly FeatureExtractor feature_extractor;
    private readonly FeatureProjection feature_projection;
    private readonly Encoder encoder;

    private Wav2Vec2Model(Wav2Vec2Config config, MaskingOptions? masking)
        : base(nameof(Wav2Vec2Model))
    {
        Config = config;
        Masking = masking;
        var linears = new LinearFactory(masking);
        masked_spec_embed = config.HasMaskedSpecEmbed ? new Parameter(torch.rand(config.HiddenSize)) : null;
        feature_extractor = new FeatureExtractor(config);
        feature_projection = new FeatureProjection(config, linears);
        encoder = new Encoder(config, linears);
        RegisterComponents();
    }

    /// <summary>The architecture this model was built from.</summary>
    public Wav2Vec2Config Config { get; }

    /// <summary>Masked layers and keep ratio, or null for a plain backbone.</summary>
    public MaskingOptions? Masking { get; }

    /// <summary>
    /// What <see cref="forward"/> returns per frame: false (default) the last hidden state [hidden_size]; true the
    /// all-states features of a statistics-pooling head (docs/formats.md, "Route heads"): the conv features, then hidden
    /// states 0..L concatenated, <see cref="OutputWidth"/> wide.
    /// </summary>
    public bool OutputsAllStates { get; set; }

    /// <summary>Width of <see cref="forward"/>'s frames: hidden_size, or conv_dim[-1] + (L + 1) · hidden_size with <see cref="OutputsAllStates"/>.</summary>
    public long OutputWidth => OutputsAllStates ? Config.AllStatesWidth : Config.HiddenSize;

    /// <summary>Parameter names (no prefix) of the masked weights, e.g. <c>encoder.layers.0.feed_forward.output_dense.weight</c>.</summary>
    public IReadOnlyList<string> MaskedWeightNames => MaskedLayers().Select(m => m.Name + ".weight").ToList();

    /// <summary>Builds a randomly initialized backbone (seed it with <c>torch.manual_seed</c>); throws <see cref="InvalidInputException"/> for an invalid config.</summary>
    public static Wav2Vec2Model Create(Wav2Vec2Config config, MaskingOptions? masking = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        return new Wav2Vec2Model(config, masking);
    }

    /// <summary>
    /// Loads a Hugging Face directory: <c>config.json</c> and <c>model.safetensors</c>. A missing file throws
    /// <see cref="NotFoundException"/>; a bad config or checkpoint <see cref="InvalidInputException"/>.
    /// </summary>
    public static Wav2Vec2Model LoadHuggingFace(string directory, MaskingOptions? masking = null)
    {
        var configPath = Path.Combine(directory, Wav2Vec2ConfigJson.FileName);
        if (!File.Exists(configPath))
        {
            throw new NotFoundException($"Backbone config '{configPath}' does not exist.");
        }

        var config = Wav2Vec2ConfigJson.Parse(File.ReadAllText(configPath), configPath);
        var model = Create(config, masking);
        try
        {
            model.LoadSafetensors(Path.Combine(directory, "model.safetensors"));
        }
        catch
        {
            model.Dispose();
            throw;
        }

        return model;
    }

    /// <summary>Loads weights from a safetensors file with Hugging Face names (see <see cref="LoadWeights"/>).</summary>
    public CheckpointLoadReport LoadSafetensors(string path)
    {
        using var file = SafetensorsFile.Open(path);
        var report = HuggingFaceCheckpoint.Load(BackboneTensors(), file.Tensors.ToDictionary(t => t.Key, t => t.Value.Shape), file.ReadFloat32);
        InvalidateMasks();
        return report;
    }

    /// <summary>
    /// Loads backbone weights by Hugging Face name, with or without the <c>wav2vec2.</c> / <c>hubert.</c> prefix; the
    /// positional conv may use <c>weight_g</c>/<c>weight_v</c> or <c>parametrizations.weight.original0/1</c>. With a
    /// prefix, tensors outside it (heads, quantizer) are ignored and reported. Missing, unknown or mis-shaped backbone
    /// tensors throw one <see cref="InvalidInputException"/> naming each of them. Mask scores are not touched.
    /// </summary>
    public CheckpointLoadReport LoadWeights(IReadOnlyDictionary<string, HostTensor> tensors)
    {
        var report = HuggingFaceCheckpoint.Load(
            BackboneTensors(), tensors.ToDictionary(t => t.Key, t => (IReadOnlyList<long>)t.Value.Shape), name => tensors[name].Data);
        InvalidateMasks();
        return report;
    }

    /// <summary>Writes <c>config.json</c> and <c>model.safetensors</c> (backbone only, no mask scores) in Hugging Face layout.</summary>
    public void SaveHuggingFace(string directory)
    {
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, Wav2Vec2ConfigJson.FileName), Wav2Vec2ConfigJson.Serialize(Config));
        var writer = new SafetensorsWriter();
        foreach (var (name, tensor) in BackboneWeights())
        {
            writer.AddFloat32(name, tensor.Shape, tensor.Data);
        }

        writer.SetMetadata("format", "pt");
        writer.WriteToFile(Path.Combine(directory, "model.safetensors"));
    }

    /// <summary>The backbone tensors (no mask scores or masks) as host copies, by Hugging Face name without prefix.</summary>
    public IReadOnlyDictionary<string, HostTensor> BackboneWeights() =>
        BackboneTensors().ToDictionary(
            t => t.Key,
            t => new HostTensor(t.Value.detach().cpu().contiguous().data<float>().ToArray(), t.Value.shape));

    /// <summary>Valid output frames for an input of <paramref name="samples"/> samples (0 when shorter than one frame).</summary>
    public long OutputFrames(long samples) => feature_extractor.OutputLength(samples);

    /// <summary>
    /// waveforms: [batch, samples] float32; lengths: [batch] int64 valid samples (padding at the end), or null when
    /// none is padded. Returns the last hidden state [batch, frames, hidden_size] (with <see cref="OutputsAllStates"/>:
    /// the all-states features [batch, frames, <see cref="OutputWidth"/>]) and the valid frames [batch] (null when
    /// lengths is null). Frames past an item's length hold no meaningful values.
    /// </summary>
    public override (Tensor Hidden, Tensor? Lengths) forward(Tensor waveforms, Tensor? lengths) => Forward(waveforms, lengths, null, Config.NumHiddenLayers, OutputsAllStates);

    /// <summary>
    /// As <see cref="forward"/> (all-states features too), but the projected features of the frames where
    /// <paramref name="timeMask"/> ([batch, frames] bool, frames = <see cref="OutputFrames"/> of the padded length) is
    /// true are replaced by the learned <c>masked_spec_embed</c> before the encoder (HuBERT / wav2vec2 pretraining,
    /// SpecAugment in finetuning). The all-states features' conv-feature block stays unmasked.
    /// </summary>
    public (Tensor Hidden, Tensor? Lengths) ForwardMasked(Tensor waveforms, Tensor? lengths, Tensor timeMask)
    {
        ArgumentNullException.ThrowIfNull(timeMask);
        if (masked_spec_embed is null)
        {
            throw new InvalidOperationException("This backbone has no masked_spec_embed (mask_time_prob and mask_feature_prob are 0).");
        }

        return Forward(waveforms, lengths, timeMask, Config.NumHiddenLayers, OutputsAllStates);
    }

    private (Tensor Hidden, Tensor? Lengths) Forward(Tensor waveforms, Tensor? lengths, Tensor? timeMask, int layerCount, bool allStates)
    {
        if (waveforms.dim() != 2)
        {
            throw new ArgumentException(
                $"Wav2Vec2Model expects waveforms [batch, samples]; found {HostTensor.FormatShape(waveforms.shape)}.", nameof(waveforms));
        }

        if (lengths is not null && (lengths.dim() != 1 || lengths.shape[0] != waveforms.shape[0]))
        {
            throw new ArgumentException(
                $"Wav2Vec2Model expects lengths [{waveforms.shape[0]}]; found {HostTensor.FormatShape(lengths.shape)}.", nameof(lengths));
        }

        using var scope = NewDisposeScope();
        var (features, frames) = feature_extractor.call(waveforms, lengths);
        var hidden = feature_projection.call(features);
        if (timeMask is not null)
        {
            if (timeMask.dim() != 2 || timeMask.shape[0] != hidden.shape[0] || timeMask.shape[1] != hidden.shape[1])
            {
                throw new ArgumentException(
                    $"timeMask must be [{hidden.shape[0]}, {hidden.shape[1]}]; found {HostTensor.FormatShape(timeMask.shape)}.", nameof(timeMask));
            }

            hidden = torch.where(timeMask.unsqueeze(-1), masked_spec_embed!.to(hidden.dtype), hidden);
        }

        if (allStates)
        {
            hidden = torch.cat([features, .. encoder.ForwardAllStates(hidden, frames)], 2);
        }
        else
        {
            hidden = layerCount == Config.NumHiddenLayers ? encoder.call(hidden, frames) : encoder.ForwardLayers(hidden, frames, layerCount);
        }

        return (hidden.MoveToOuterDisposeScope(), frames?.MoveToOuterDisposeScope());
    }

    /// <summary>Last hidden state [frames, hidden_size] of one utterance (16 kHz float samples), in eval mode without gradients.</summary>
    public float[,] ExtractFeatures(float[] audio) => ExtractFeatures([audio])[0];

    /// <summary>
    /// Hidden states [frames, hidden_size] of one utterance after the first <paramref name="layer"/> transformer layers
    /// (Hugging Face's <c>hidden_states[layer]</c>: 0 = the transformer's input, <c>num_hidden_layers</c> = the last
    /// hidden state), in eval mode without gradients. Only the layers needed run. Throws
    /// <see cref="InvalidInputException"/> for a layer outside [0, num_hidden_layers] or audio shorter than one frame.
    /// </summary>
    public float[,] ExtractLayerFeatures(float[] audio, int layer)
    {
        ArgumentNullException.ThrowIfNull(audio);
        if (layer < 0 || layer > Config.NumHiddenLayers)
        {
            throw new InvalidInputException($"Layer {layer} does not exist: this backbone has layers 0..{Config.NumHiddenLayers}.", "layer");
        }

        var minSamples = Config.ConvKernel.Count == 0 ? 1 : SamplesForOneFrame();
        if (audio.Length < minSamples)
        {
            throw new InvalidInputException($"Audio has {audio.Length} samples; at least {minSamples} are needed for one frame.", "audio");
        }

        var wasTraining = training;
        eval();
        try
        {
            using var scope = NewDisposeScope();
            using var noGrad = torch.no_grad();
            var device = parameters().First().device;
            var waveforms = torch.tensor(audio, [1, audio.Length]).to(device);
            var (hidden, _) = Forward(waveforms, null, null, layer, allStates: false);
            hidden = hidden.cpu().contiguous(); // [1, frames, hidden]
            var (frames, width) = ((int)hidden.shape[1], (int)hidden.shape[2]);
            var item = new float[frames, width];
            Buffer.BlockCopy(hidden.data<float>().ToArray(), 0, item, 0, frames * width * sizeof(float));
            return item;
        }
        finally
        {
            train(wasTraining);
        }
    }

    /// <summary>Last hidden states [frames, hidden_size] of several utterances run as one zero-padded batch.</summary>
    public IReadOnlyList<float[,]> ExtractFeatures(IReadOnlyList<float[]> batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var result = new float[batch.Count][,];
        ExtractFeatures(batch, (i, values) =>
        {
            var item = new float[values.Length / OutputWidth, OutputWidth];
            values.CopyTo(MemoryMarshal.CreateSpan(ref item[0, 0], item.Length));
            result[i] = item;
        });
        return result;
    }

    /// <summary>
    /// <see cref="forward"/>'s frames of several utterances run as one zero-padded batch (eval mode, no gradients):
    /// <paramref name="item"/> receives each utterance's index and valid frames [frames, <see cref="OutputWidth"/>],
    /// flattened, read in place from the output tensor (valid during the call only). Callers that keep the features
    /// their own way (<c>FrozenFeatures</c>) copy them once, with no array per batch or item in between.
    /// </summary>
    internal void ExtractFeatures(IReadOnlyList<float[]> batch, Action<int, ReadOnlySpan<float>> item)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(item);
        if (batch.Count == 0)
        {
            return;
        }

        var minSamples = Config.ConvKernel.Count == 0 ? 1 : SamplesForOneFrame();
        for (var i = 0; i < batch.Count; i++)
        {
            if (batch[i].Length < minSamples)
            {
                throw new InvalidInputException(
                    $"Audio {i} has {batch[i].Length} samples; at least {minSamples} are needed for one frame.", "audio");
            }
        }

        var wasTraining = training;
        eval();
        try
        {
            using var scope = NewDisposeScope();
            using var noGrad = torch.no_grad();
            var maxSamples = batch.Max(a => a.Length);
            var padded = new float[batch.Count * maxSamples];
            for (var i = 0; i < batch.Count; i++)
            {
                batch[i].CopyTo(padded, i * maxSamples);
            }

            var device = parameters().First().device;
            var waveforms = torch.tensor(padded, [batch.Count, maxSamples]).to(device);
            var lengths = batch.Count == 1 ? null : torch.tensor(batch.Select(a => (long)a.Length).ToArray()).to(device);
            var (hidden, _) = call(waveforms, lengths);
            hidden = hidden.cpu().contiguous();
            var (maxFrames, width) = ((int)hidden.shape[1], (int)hidden.shape[2]);
            var values = MemoryMarshal.Cast<byte, float>(hidden.bytes);
            for (var i = 0; i < batch.Count; i++)
            {
                item(i, values.Slice(i * maxFrames * width, (int)OutputFrames(batch[i].Length) * width));
            }
        }
        finally
        {
            train(wasTraining);
        }
    }

    /// <summary>Sets requires_grad false on every backbone tensor, leaving only mask scores trainable.</summary>
    public void FreezeBackbone()
    {
        foreach (var (_, tensor) in BackboneTensors())
        {
            if (tensor is Parameter p)
            {
                p.requires_grad = false;
            }
        }
    }

    /// <summary>Initializes the scores of every masked layer (after loading the weights).</summary>
    public void InitializeScores(ScoreInit method, double scale = 1.0)
    {
        foreach (var layer in MaskedLayers())
        {
            layer.Module.InitializeScores(method, scale);
        }
    }

    /// <summary>The hard mask of every masked weight, named by parameter without prefix (<c>encoder.layers.0.feed_forward.intermediate_dense.weight</c>).</summary>
    public IReadOnlyList<MaskTensor> ExportMasks() =>
        MaskedLayers().Select(m => MaskTensor.FromBits(m.Name + ".weight", m.Module.Weight.shape, m.Module.ExportMask())).ToList();

    /// <summary>Makes each masked weight named in <paramref name="masks"/> use exactly that mask (e.g. from a mask bundle).</summary>
    public void ImportMasks(IEnumerable<MaskTensor> masks) =>
        ImportMasks(masks.ToDictionary(m => m.Name, m => m.Unpack(), StringComparer.Ordinal));

    /// <summary>Makes each named masked weight use exactly the given mask (row-major, true = kept); the keep ratio follows the mask.</summary>
    public void ImportMasks(IReadOnlyDictionary<string, bool[]> masks)
    {
        var layers = MaskedLayers().ToDictionary(m => m.Name + ".weight", m => m.Module);
        var violations = new List<FieldViolation>();
        foreach (var (name, keep) in masks)
        {
            if (!layers.TryGetValue(name, out var layer))
            {
                violations.Add(new FieldViolation(name, $"'{name}' is not a masked weight of this model."));
            }
            else if (keep.Length != layer.Weight.numel())
            {
                violations.Add(new FieldViolation(name, $"mask for '{name}' has {keep.Length} values; expected {layer.Weight.numel()}."));
            }
        }

        if (violations.Count > 0)
        {
            throw new InvalidInputException($"Masks do not fit the model: {string.Join("; ", violations.Select(v => v.Description))}", violations);
        }

        foreach (var (name, keep) in masks)
        {
            layers[name].ImportMask(keep);
        }
    }

    /// <summary>Drops cached hard masks, e.g. after changing scores by hand.</summary>
    public void InvalidateMasks()
    {
        foreach (var layer in MaskedLayers())
        {
            layer.Module.InvalidateMask();
        }
    }

    internal IEnumerable<(string Name, MaskedLinear Module)> MaskedLayers() =>
        named_modules().Where(m => m.module is MaskedLinear).Select(m => (m.name, (MaskedLinear)m.module));

    /// <summary>state_dict() without the masked layers' scores and masks: exactly the checkpoint tensors.</summary>
    internal Dictionary<string, Tensor> BackboneTensors()
    {
        var maskState = MaskedLayers().SelectMany(m => new[] { m.Name + ".scores", m.Name + ".mask" }).ToHashSet(StringComparer.Ordinal);
        return state_dict().Where(t => !maskState.Contains(t.Key)).ToDictionary(t => t.Key, t => t.Value, StringComparer.Ordinal);
    }

    private long SamplesForOneFrame()
    {
        // Smallest input giving one frame: invert floor((L - K) / S) + 1 = 1 from the last layer back.
        long samples = 1;
        for (var i = Config.ConvKernel.Count - 1; i >= 0; i--)
        {
            samples = ((samples - 1) * Config.ConvStride[i]) + Config.ConvKernel[i];
        }

        return samples;
    }
}
