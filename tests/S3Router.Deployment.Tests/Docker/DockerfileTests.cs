using System.Text.RegularExpressions;
using S3Router.Deployment.Tests.TestSupport;

namespace S3Router.Deployment.Tests.Docker;

/// <summary>The Dockerfiles under docker/: pinned base images, non-root final stages, one per image the manifests use.</summary>
public sealed partial class DockerfileTests
{
    public static TheoryData<string> Dockerfiles =>
        new(Directory.GetFiles(RepositoryPaths.Combine("docker"), "*.Dockerfile").Select(Path.GetFileName).Order()!);

    [Theory]
    [MemberData(nameof(Dockerfiles))]
    public void BaseImages_EveryDockerfile_PinnedToAVersionTag(string file)
    {
        var text = File.ReadAllText(RepositoryPaths.Combine("docker", file));
        var args = ImageArg().Matches(text).ToDictionary(m => m.Groups["name"].Value, m => m.Groups["image"].Value);
        var stages = new HashSet<string>();
        var bases = new List<string>();
        foreach (Match from in FromLine().Matches(text))
        {
            var image = from.Groups["image"].Value;
            var arg = ArgUse().Match(image);
            bases.Add(arg.Success ? args.GetValueOrDefault(arg.Groups["name"].Value, image) : image);
            if (from.Groups["stage"].Success)
            {
                stages.Add(from.Groups["stage"].Value);
            }
        }

        Assert.NotEmpty(bases);
        Assert.All(bases.Where(b => !stages.Contains(b)), b =>
        {
            Assert.Null(Kubernetes.ManifestChecks.ImageProblem(b));
            Assert.Matches(@":\d+\.\d+\.\d+", b);
        });
    }

    [Theory]
    [MemberData(nameof(Dockerfiles))]
    public void FinalStage_EveryDockerfile_RunsAsUser10001(string file)
    {
        var text = File.ReadAllText(RepositoryPaths.Combine("docker", file));
        var finalStage = text[text.LastIndexOf("\nFROM ", StringComparison.Ordinal)..];

        Assert.Contains("\nUSER 10001:10001\n", finalStage, StringComparison.Ordinal);
    }

    [Fact]
    public void Images_UsedByManifests_EachHaveADockerfile()
    {
        var kustomizations = new[] { "k8s/base/kustomization.yaml", "k8s/jobs/training/kustomization.yaml" };
        var images = kustomizations.SelectMany(k => NewName().Matches(File.ReadAllText(RepositoryPaths.Combine(k.Split('/')))))
            .Select(m => m.Groups["name"].Value).Distinct().ToList();
        var dockerfiles = Directory.GetFiles(RepositoryPaths.Combine("docker"), "*.Dockerfile").Select(File.ReadAllText).ToList();

        Assert.NotEmpty(images);
        Assert.All(images, image => Assert.Contains(dockerfiles, d => d.Contains($"-t ghcr.io/s3router/{image}:", StringComparison.Ordinal)));
    }

    [GeneratedRegex(@"^ARG (?<name>[A-Z_]*IMAGE)=(?<image>\S+)", RegexOptions.Multiline)]
    private static partial Regex ImageArg();

    [GeneratedRegex(@"^FROM (?<image>\S+)(?: AS (?<stage>\S+))?", RegexOptions.Multiline)]
    private static partial Regex FromLine();

    [GeneratedRegex(@"^\$\{(?<name>[A-Z_]+)\}$")]
    private static partial Regex ArgUse();

    [GeneratedRegex(@"newName: ghcr\.io/s3router/(?<name>[a-z0-9-]+)")]
    private static partial Regex NewName();
}
