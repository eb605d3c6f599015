using S3Router.Core.Backbones;
using S3Router.TrainingService.Model;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace S3Router.TrainingService.Training.Heads;

/// <summary>
/// Temporal classifier (docs/formats.md, "Route heads", <c>conv_max</c>) on the all-states features
/// (<see cref="Wav2Vec2Model.OutputsAllStates"/>), of which it reads hidden states 0..L (the last (L+1)·H columns):
/// <c>s[t] = Σ_l softmax(layer_logits)[l] · h_l[t]</c>, <c>n = norm(s)</c> (LayerNorm) set to zero past each
/// utterance's valid frames, <c>c = ReLU(conv(n))</c> (Conv1d [C_out, H, K], zero padding (K−1)/2), <c>p</c> = the
/// maximum of <c>c</c> over the valid frames, logits <c>proj(p)</c>. Zeroing <c>n</c> past the valid frames makes a
/// padded batch compute what each utterance alone does. Initialization as PyTorch's defaults (layer_logits zero).
/// </summary>
internal sealed class ConvMaxHead : TaskHead
{
    /// <summary>Output channels of the convolution when the spec leaves it 0.</summary>
    public const int DefaultWidth = 256;

    /// <summary>Kernel width (frames) of the convolution when the spec leaves it 0.</summary>
    public const int DefaultKernel = 5;

    private readonly Parameter layer_logits; // named as HeadTensor.ConvMaxLayerLogits: the field name is the state_dict key
    private readonly LayerNorm norm;
    private readonly Conv1d conv;
    private readonly Linear proj;
    private readonly long _inputWidth;
    private readonly long _hidden;
    private readonly long _states;

    /// <param name="config">The backbone: its all-states width is the input width, hidden_size H and L + 1 states.</param>
    /// <param name="classes">Number of classes.</param>
    /// <param name="width">Output channels C_out of the convolution.</param>
    /// <param name="kernel">Kernel width K in frames (odd).</param>
    public ConvMaxHead(Wav2Vec2Config config, long classes, long width, long kernel)
        : base(nameof(ConvMaxHead))
    {
        ArgumentNullException.ThrowIfNull(config);
        if (kernel < 1 || kernel % 2 == 0 || width < 1)
        {
            throw new ArgumentException($"ConvMaxHead needs an odd kernel ≥ 1 and a width ≥ 1; found kernel {kernel}, width {width}.");
        }

        _inputWidth = config.AllStatesWidth;
        _hidden = config.HiddenSize;
        _states = config.NumHiddenLayers + 1;
        layer_logits = new Parameter(torch.zeros(_states));
        norm = nn.LayerNorm(_hidden, eps: 1e-5);
        conv = nn.Conv1d(_hidden, width, kernel, padding: kernel / 2);
        proj = nn.Linear(width, classes);
        RegisterComponents();
    }

    /// <summary>hidden: all-states features [batch, frames, W]; frameLengths: [batch] valid frames or null. Returns logits [batch, C].</summary>
    public override Tensor forward(Tensor hidden, Tensor? frameLengths)
    {
        if (hidden.dim() != 3 || hidden.shape[2] != _inputWidth)
        {
            throw new ArgumentException($"ConvMaxHead expects [batch, frames, {_inputWidth}]; found [{string.Join(", ", hidden.shape)}].", nameof(hidden));
        }

        using var scope = NewDisposeScope();
        var (batch, frames) = (hidden.shape[0], hidden.shape[1]);
        var states = hidden.narrow(2, _inputWidth - (_states * _hidden), _states * _hidden).reshape(batch, frames, _states, _hidden); // [B, T, L+1, H]
        var mix = layer_logits.softmax(0).reshape(1, 1, _states, 1);
        var n = norm.call((states * mix).sum(2)); // [B, T, H]
        var valid = frameLengths is null
            ? null
            : torch.arange(HeldScalar.Of(frames), device: hidden.device).unsqueeze(0) < frameLengths.unsqueeze(1); // [B, T]
        if (valid is not null)
        {
            n = n * valid.unsqueeze(-1).to(n.dtype);
        }

        var c = torch.nn.functional.relu(conv.call(n.transpose(1, 2))); // [B, C_out, T]
        if (valid is not null)
        {
            // c ≥ 0 after ReLU, so zeroing the frames past each length leaves the maximum over the valid frames.
            c = c * valid.unsqueeze(1).to(c.dtype);
        }

        var pooled = c.amax([2]); // [B, C_out]
        return proj.call(pooled).MoveToOuterDisposeScope();
    }
}
