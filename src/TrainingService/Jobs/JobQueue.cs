using System.Threading.Channels;

namespace S3Router.TrainingService.Jobs;

/// <summary>Ids of queued jobs in submit order. A job cancelled while queued stays in here and is skipped when dequeued.</summary>
internal sealed class JobQueue
{
    private readonly Channel<string> _ids = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleWriter = false });

    public void Enqueue(string jobId)
    {
        if (!_ids.Writer.TryWrite(jobId))
        {
            throw new InvalidOperationException("the job queue is closed");
        }
    }

    public IAsyncEnumerable<string> ReadAllAsync(CancellationToken cancellationToken) => _ids.Reader.ReadAllAsync(cancellationToken);
}
