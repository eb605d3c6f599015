using S3Router.Api.V1;
using S3Router.Core.Errors;
using S3Router.InferenceService.Inference.Routes;

namespace S3Router.InferenceService.Inference;

/// <summary>
/// The routes this pod can serve: one page of the registry's routes, each resolved to its production version;
/// routes without a production alias, with a yanked one, or trained on another backbone are left out (so a page may
/// hold fewer than page_size routes while next_page_token is set).
/// </summary>
internal sealed class RouteCatalog(MaskRegistrySource registry, RouteResolver resolver, BackboneHost backbone)
{
    public const string ProductionAlias = "production";

    public async Task<(IReadOnlyList<RouteListing> Routes, string NextPageToken)> ListAsync(ListRoutesRequest request, CancellationToken cancellationToken)
    {
        var digest = "sha256:" + backbone.Current.Digest;
        var page = await registry.ListRoutesAsync(new ListMaskRoutesRequest
        {
            Task = request.Task,
            LanguageCode = request.LanguageCode,
            PageSize = request.PageSize,
            PageToken = request.PageToken,
        }, cancellationToken);
        var routes = new List<RouteListing>();
        foreach (var route in page.Routes.Where(r => r.Aliases.ContainsKey(ProductionAlias)))
        {
            MaskVersion version;
            try
            {
                version = await resolver.ResolveAsync(route.Task, route.LanguageCode, ProductionAlias, cancellationToken);
            }
            catch (Exception e) when (e is NotFoundException or FailedPreconditionException)
            {
                continue; // moved or yanked since the page was read
            }

            if (version.BackboneDigest == digest)
            {
                routes.Add(new RouteListing(version, route.Aliases));
            }
        }

        return (routes, page.NextPageToken);
    }
}
