using S3Router.Core.Errors;
using static TorchSharp.torch;

namespace S3Router.TrainingService.Model;

/// <summary>Creates each linear layer of the backbone as a plain <c>Linear</c> or a <see cref="MaskedLinear"/>.</summary>
internal sealed class LinearFactory
{
    private readonly MaskingOptions? _masking;

    public LinearFactory(MaskingOptions? masking)
    {
        if (masking is not null && !(masking.PruneRate > 0 && masking.PruneRate <= 1))
        {
            throw new InvalidInputException(
                $"prune_rate is the kept fraction and must be in (0, 1]; found {masking.PruneRate}.", "prune_rate");
        }

        _masking = masking;
    }

    public nn.Module<Tensor, Tensor> Create(string name, long inFeatures, long outFeatures, MaskTargets role) =>
        _masking is not null && (_masking.Targets & role) != 0
            ? new MaskedLinear(name, inFeatures, outFeatures, _masking.PruneRate)
            : nn.Linear(inFeatures, outFeatures, hasBias: true);
}
