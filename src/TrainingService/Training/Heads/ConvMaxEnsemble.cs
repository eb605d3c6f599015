using S3Router.Core.Backbones;
using S3Router.TrainingService.Model;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace S3Router.TrainingService.Training.Heads;

/// <summary>
/// K <see cref="ConvMaxHead"/>s (docs/formats.md, "Route heads", conv_max ensemble; bundle tensors
/// <c>head.members.{k}.*</c>), each from its own random initialization. Training: each member's own task loss on the
/// same batch, averaged over the members, so each learns as it would alone and the members stay as different as their
/// starting points make them (a loss on the averaged prediction would train them into one model). Forward: the log of
/// the members' averaged class probabilities, so argmax, softmax and cross-entropy of it are the ensemble's.
/// </summary>
internal sealed class ConvMaxEnsemble : TaskHead
{
    // The field's name is the state-dict prefix of the members: HeadTensor.MembersName, so member k's tensors are
    // head.members.{k}.* in bundles.
    private readonly ModuleList<ConvMaxHead> members;

    /// <param name="config">The backbone, as for <see cref="ConvMaxHead"/>.</param>
    /// <param name="classes">Number of classes.</param>
    /// <param name="width">Output channels of each member's convolution.</param>
    /// <param name="kernel">Kernel width of each member's convolution (odd).</param>
    /// <param name="size">Number of members K ≥ 1. Jobs make one head a <see cref="ConvMaxHead"/>; K = 1 is for a bundle
    /// written with the member layout, which the format allows and a pod serves.</param>
    public ConvMaxEnsemble(Wav2Vec2Config config, long classes, long width, long kernel, int size)
        : base(nameof(ConvMaxEnsemble))
    {
        if (size < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(size), size, "An ensemble has at least one member.");
        }

        members = new ModuleList<ConvMaxHead>([.. Enumerable.Range(0, size).Select(_ => new ConvMaxHead(config, classes, width, kernel))]);
        RegisterComponents();
    }

    /// <summary>Number of members.</summary>
    public int Size => members.Count;

    /// <summary>log(mean_k softmax(logits_k)) [batch, C].</summary>
    public override Tensor forward(Tensor hidden, Tensor? frameLengths)
    {
        using var scope = NewDisposeScope();
        var logProbabilities = torch.stack(members.Select(m => m.call(hidden, frameLengths).log_softmax(-1)), 0); // [K, B, C]
        return (logProbabilities.logsumexp(0) - HeldScalar.Of(Math.Log(members.Count))).MoveToOuterDisposeScope();
    }

    /// <summary>The mean over the members of each member's own loss.</summary>
    public override Tensor Loss(Tensor hidden, Tensor? frameLengths, IReadOnlyList<long[]> targets, bool isCtc)
    {
        using var scope = NewDisposeScope();
        var losses = members.Select(m => TaskLoss.Compute(m.call(hidden, frameLengths), frameLengths!, targets, isCtc)).ToList();
        return (torch.stack(losses).mean()).MoveToOuterDisposeScope();
    }
}
