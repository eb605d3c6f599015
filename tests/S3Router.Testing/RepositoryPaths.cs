namespace S3Router.Testing;

/// <summary>Files of the repository, found by walking up from the test binaries.</summary>
public static class RepositoryPaths
{
    /// <summary>tests/reference/wav2vec2_reference.py, the torchaudio oracle.</summary>
    public static string ReferenceScript => Find(Path.Combine("tests", "reference", "wav2vec2_reference.py"));

    /// <summary>The first existing <paramref name="relativePath"/> in the test binaries' folder or one of its parents.</summary>
    public static string Find(string relativePath)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, relativePath);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException($"{relativePath} not found above {AppContext.BaseDirectory}");
    }
}
