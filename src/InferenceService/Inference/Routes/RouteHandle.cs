namespace S3Router.InferenceService.Inference.Routes;

/// <summary>
/// One request's hold on a route version: the model it resolved (pinned for the whole request, whatever aliases do
/// meanwhile) and a lease on the engine that runs it. Dispose when the request is done.
/// </summary>
internal sealed class RouteHandle(RouteModel model, CacheLease<RouteEngine> engine) : IDisposable
{
    public RouteModel Model { get; } = model;

    public RouteEngine Engine => engine.Value;

    public void Dispose() => engine.Dispose();
}
