using S3Router.Core.Errors;

namespace S3Router.InferenceService.Inference.Routes;

/// <summary>Holds the backbone once it is loaded; until then every request is UNAVAILABLE and readiness is false.</summary>
internal sealed class BackboneHost
{
    private volatile LoadedBackbone? _backbone;

    /// <summary>Whether the backbone and its base session are ready.</summary>
    public bool IsReady => _backbone is not null;

    /// <summary>The loaded backbone.</summary>
    /// <exception cref="UnavailableException">Still loading.</exception>
    public LoadedBackbone Current => _backbone ?? throw new UnavailableException("The backbone is still loading; retry shortly.");

    public void SetLoaded(LoadedBackbone backbone) => _backbone = backbone;
}
