namespace S3Router.InferenceService.Tests.Onnx;

/// <summary>A scratch directory removed on dispose.</summary>
internal sealed class TempDirectory : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("s3router-onnx-").FullName;

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
