namespace S3Router.Deployment.Tests.TestSupport;

/// <summary>Finds files of the repository from the test's output folder.</summary>
internal static class RepositoryPaths
{
    private static readonly Lazy<string> RootLazy = new(FindRoot);

    public static string Root => RootLazy.Value;

    public static string Combine(params string[] parts) => Path.Combine([Root, .. parts]);

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "S3RouterServices.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException($"No S3RouterServices.sln above {AppContext.BaseDirectory}");
    }
}
