using Grpc.Core;

namespace S3Router.TrainingService.Tests.Jobs.TestSupport;

/// <summary>Records what a server-streaming handler writes.</summary>
internal sealed class RecordingStreamWriter<T> : IServerStreamWriter<T>
{
    public List<T> Messages { get; } = [];

    public WriteOptions? WriteOptions { get; set; }

    public Task WriteAsync(T message, CancellationToken cancellationToken) => WriteAsync(message);

    public Task WriteAsync(T message)
    {
        Messages.Add(message);
        return Task.CompletedTask;
    }
}
