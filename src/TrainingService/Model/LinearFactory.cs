using S3Router.Core.Backbones;
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

        if (masking is not null && !Enum.IsDefined(masking.Scope))
        {
            throw new InvalidInputException($"Unknown mask scope {(int)masking.Scope}.", "mask_scope");
        }

        _masking = masking;
    }

    public nn.Module<Tensor, Tensor> Create(string name, long inFeatures, long outFeatures, LinearRole role) =>
        IsMasked(role)
            ? new MaskedLinear(name, inFeatures, outFeatures, _masking!.PruneRate)
            : nn.Linear(inFeatures, outFeatures, hasBias: true);

    private bool IsMasked(LinearRole role) => _masking?.Scope switch
    {
        null => false,
        MaskScope.FeedForward => role == LinearRole.FeedForward,
        MaskScope.FeedForwardAndAttention => role is LinearRole.FeedForward or LinearRole.Attention,
        _ => true,
    };
}
