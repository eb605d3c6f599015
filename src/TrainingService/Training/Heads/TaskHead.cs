using S3Router.Core.Masks;
using S3Router.TrainingService.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace S3Router.TrainingService.Training.Heads;

/// <summary>
/// A route head on the backbone's last hidden state (docs/formats.md, "Route heads"). Its state_dict keys
/// (<c>proj.weight</c>, ...) become <c>head.proj.weight</c>, ... in bundles.
/// </summary>
internal abstract class TaskHead(string name) : nn.Module<Tensor, Tensor?, Tensor>(name)
{
    /// <summary>The head tensors with their bundle names (<c>head.</c> prefix), F32, row-major.</summary>
    public IReadOnlyList<HeadTensor> Export() =>
        state_dict()
            .OrderBy(t => t.Key, StringComparer.Ordinal)
            .Select(t => new HeadTensor(
                HeadTensor.NamePrefix + t.Key, t.Value.shape, t.Value.detach().cpu().contiguous().data<float>().ToArray()))
            .ToList();

    /// <summary>
    /// The training objective of one batch (<see cref="TaskLoss"/> of the logits; frameLengths [batch] valid frames).
    /// A head whose members learn apart (<see cref="ConvMaxEnsemble"/>) overrides it.
    /// </summary>
    public virtual Tensor Loss(Tensor hidden, Tensor? frameLengths, IReadOnlyList<long[]> targets, bool isCtc)
    {
        using var scope = NewDisposeScope();
        return TaskLoss.Compute(call(hidden, frameLengths), frameLengths!, targets, isCtc).MoveToOuterDisposeScope();
    }

    /// <summary>Loads head tensors by bundle name; every tensor of this head must be present with its shape.</summary>
    public void Import(IReadOnlyDictionary<string, HostTensor> tensors)
    {
        using var noGrad = torch.no_grad();
        foreach (var (key, destination) in state_dict())
        {
            var name = HeadTensor.NamePrefix + key;
            if (!tensors.TryGetValue(name, out var source) || !source.Shape.SequenceEqual(destination.shape))
            {
                throw new Core.Errors.InvalidInputException(
                    $"Head tensor '{name}' is missing or is not {HostTensor.FormatShape(destination.shape)}.{EnsembleHint(tensors.Keys)}", name);
            }

            using var value = torch.tensor(source.Data, source.Shape);
            destination.copy_(value);
        }
    }

    // A start bundle whose conv_max head has another number of members than this job's head fails on a missing
    // tensor; say which setting makes them agree.
    private string EnsembleHint(IEnumerable<string> given)
    {
        const string memberTensor = HeadTensor.ConvMaxLayerLogits;
        var wanted = HeadTensor.EnsembleMembers(state_dict().Keys.Select(k => HeadTensor.NamePrefix + k), memberTensor);
        var present = HeadTensor.EnsembleMembers(given, memberTensor);
        return wanted == present ? ""
            : present == 0 ? $" The bundle's head is one head, this job's an ensemble of {wanted}: set head.ensemble_size to 0."
            : $" The bundle's head is an ensemble of {present} members, this job's {(wanted == 0 ? "one head" : $"an ensemble of {wanted}")}: set head.ensemble_size to {present}.";
    }
}
