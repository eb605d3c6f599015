using S3Router.Core.Safetensors;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace S3Router.TrainingService.Training;

/// <summary>
/// Adam (Kingma and Ba, arXiv:1412.6980) over named parameters with its state in plain tensors, so a checkpoint can
/// hold it by name. Parameters without a gradient in a step (frozen for now) are skipped and keep their own step
/// count. β1 and epsilon follow the wav2vec2 finetuning recipes (0.9, 1e-8); β2 is theirs by default (0.98). Optional decoupled weight
/// decay per parameter (AdamW, Loshchilov and Hutter, arXiv:1711.05101): each step first scales the parameter by
/// <c>1 − lr · decay</c>, as PyTorch's AdamW.
/// </summary>
internal sealed class AdamOptimizer : IDisposable
{
    /// <summary>β2 when the job does not set one: the wav2vec2 finetuning recipes' 0.98.</summary>
    public const double DefaultBeta2 = 0.98;

    private const double Beta1 = 0.9;
    private const double Epsilon = 1e-8;

    private readonly double _beta2Value;

    private readonly IReadOnlyList<Slot> _slots;

    // Scalars held for the optimizer's lifetime: an implicit double-to-Scalar temporary can be finalized by the GC
    // while libtorch still reads it (seen as "Expected false to be true" from c10::Scalar::toFloat).
    private readonly Scalar _beta1 = Beta1.ToScalar();
    private readonly Scalar _beta2;
    private readonly Scalar _oneMinusBeta1 = (1 - Beta1).ToScalar();
    private readonly Scalar _oneMinusBeta2;
    private readonly Scalar _epsilon = Epsilon.ToScalar();

    /// <param name="parameters">The parameters by checkpoint name.</param>
    /// <param name="weightDecay">Decoupled weight decay of a parameter by its name, in [0, 1); null: none.</param>
    /// <param name="beta2">Second-moment decay rate, in (0, 1).</param>
    public AdamOptimizer(IEnumerable<(string Name, Parameter Parameter)> parameters, Func<string, double>? weightDecay = null, double beta2 = DefaultBeta2)
    {
        if (!(beta2 is > 0 and < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(beta2), beta2, "Adam's beta2 must be in (0, 1).");
        }

        _beta2Value = beta2;
        _beta2 = beta2.ToScalar();
        _oneMinusBeta2 = (1 - beta2).ToScalar();
        _slots = parameters
            .Select(p => new Slot(p.Name, p.Parameter, torch.zeros_like(p.Parameter).DetachFromDisposeScope(), torch.zeros_like(p.Parameter).DetachFromDisposeScope())
            {
                WeightDecay = weightDecay?.Invoke(p.Name) ?? 0,
            })
            .ToList();
    }

    public IEnumerable<Parameter> Parameters => _slots.Select(s => s.Parameter);

    public void ZeroGrad()
    {
        foreach (var slot in _slots)
        {
            slot.Parameter.grad?.zero_();
        }
    }

    /// <summary>One update with learning rate <paramref name="lr"/> for every parameter that has a gradient.</summary>
    public void Step(double lr)
    {
        using var scope = NewDisposeScope();
        using var noGrad = torch.no_grad();
        foreach (var slot in _slots)
        {
            var grad = slot.Parameter.grad;
            if (grad is null || !slot.Parameter.requires_grad)
            {
                continue;
            }

            slot.Steps++;
            if (slot.WeightDecay > 0)
            {
                using var keep = (1 - (lr * slot.WeightDecay)).ToScalar();
                slot.Parameter.mul_(keep);
            }

            slot.Mean.mul_(_beta1).add_(grad, alpha: _oneMinusBeta1);
            slot.Variance.mul_(_beta2).addcmul_(grad, grad, value: _oneMinusBeta2);
            using var varianceCorrection = (1 - Math.Pow(_beta2Value, slot.Steps)).ToScalar();
            using var stepSize = (-lr / (1 - Math.Pow(Beta1, slot.Steps))).ToScalar();
            var denominator = slot.Variance.div(varianceCorrection).sqrt_().add_(_epsilon);
            slot.Parameter.addcdiv_(slot.Mean, denominator, value: stepSize);
        }
    }

    /// <summary>Adds parameters, moments and step counts to a checkpoint (<c>param/</c>, <c>adam_m/</c>, <c>adam_v/</c>).</summary>
    public void Save(SafetensorsWriter writer, IDictionary<string, long> steps)
    {
        foreach (var slot in _slots)
        {
            writer.AddFloat32("param/" + slot.Name, slot.Parameter.shape, Host(slot.Parameter));
            writer.AddFloat32("adam_m/" + slot.Name, slot.Mean.shape, Host(slot.Mean));
            writer.AddFloat32("adam_v/" + slot.Name, slot.Variance.shape, Host(slot.Variance));
            steps[slot.Name] = slot.Steps;
        }
    }

    /// <summary>
    /// Restores what <see cref="Save"/> wrote. A parameter that has stepped gets a zero gradient, as it has in the run
    /// that saved it (<see cref="ZeroGrad"/> zeroes, it does not free): a step in which it receives no gradient
    /// (its layer skipped by LayerDrop) then updates it from its moments in both runs, so a resumed run stays exact.
    /// </summary>
    public void Load(SafetensorsFile file, IReadOnlyDictionary<string, long> steps)
    {
        using var noGrad = torch.no_grad();
        foreach (var slot in _slots)
        {
            Copy(file, "param/" + slot.Name, slot.Parameter);
            Copy(file, "adam_m/" + slot.Name, slot.Mean);
            Copy(file, "adam_v/" + slot.Name, slot.Variance);
            slot.Steps = steps.GetValueOrDefault(slot.Name);
            if (slot.Steps > 0 && slot.Parameter.grad is null)
            {
                slot.Parameter.grad = torch.zeros_like(slot.Parameter).DetachFromDisposeScope();
            }
        }
    }

    public void Dispose()
    {
        foreach (var scalar in new[] { _beta1, _beta2, _oneMinusBeta1, _oneMinusBeta2, _epsilon })
        {
            scalar.Dispose();
        }

        foreach (var slot in _slots)
        {
            slot.Mean.Dispose();
            slot.Variance.Dispose();
        }
    }

    private static float[] Host(Tensor tensor) => tensor.detach().cpu().contiguous().data<float>().ToArray();

    private static void Copy(SafetensorsFile file, string name, Tensor destination)
    {
        if (!file.Tensors.TryGetValue(name, out var info) || !info.Shape.SequenceEqual(destination.shape))
        {
            throw new Core.Errors.FailedPreconditionException($"Checkpoint tensor '{name}' is missing or has another shape; the checkpoint does not fit this job.");
        }

        using var value = torch.tensor(file.ReadFloat32(name), destination.shape);
        destination.copy_(value);
    }

    private sealed class Slot(string name, Parameter parameter, Tensor mean, Tensor variance)
    {
        public string Name { get; } = name;

        public Parameter Parameter { get; } = parameter;

        public Tensor Mean { get; } = mean;

        public Tensor Variance { get; } = variance;

        public long Steps { get; set; }

        public double WeightDecay { get; init; }
    }
}
