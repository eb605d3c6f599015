using System.Text.Json;
using S3Router.Api.V1;
using S3Router.Core.Errors;
using S3Router.MaskRegistry.Masks;

namespace S3Router.MaskRegistry.Tests.TestSupport;

/// <summary>Reads <see cref="TestBundle"/> files, so registry tests do not depend on the real bundle format.</summary>
internal sealed class JsonBundleInspector : IBundleInspector
{
    public BundleInfo Inspect(string path)
    {
        TestBundle? bundle;
        try
        {
            bundle = JsonSerializer.Deserialize<TestBundle>(File.ReadAllBytes(path));
        }
        catch (JsonException ex)
        {
            throw new InvalidInputException($"The upload is not a mask bundle: {ex.Message}", "chunk");
        }
        if (bundle is null)
        {
            throw new InvalidInputException("The upload is not a mask bundle.", "chunk");
        }
        return new BundleInfo(
            bundle.Task, bundle.Language, bundle.Backbone, HeadKind.Ctc, 32,
            bundle.Tensors.Select(t => new BundleTensor(t.Name, t.Shape, t.Keep)).ToList(),
            new MaskLineage { JobId = "job-1", JobKind = "mask", PruneRate = 0.9 },
            new Dictionary<string, double> { ["test_cer"] = 0.25 });
    }
}
