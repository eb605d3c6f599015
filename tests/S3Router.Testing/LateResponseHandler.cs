using System.Net;

namespace S3Router.Testing;

/// <summary>
/// An HTTP handler for a gRPC channel that hands each response to the gRPC client only once the request body has ended,
/// and when a body write fails, only after that failure has reached the writer. A client-streaming call whose server
/// answers early (and resets the request stream) thus always sees its failed write before it has read the server's
/// status: the interleaving that a loaded machine produces only now and then.
/// </summary>
public sealed class LateResponseHandler() : DelegatingHandler(new SocketsHttpHandler())
{
    /// <inheritdoc />
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (request.Content is null)
        {
            return await base.SendAsync(request, cancellationToken);
        }
        var body = new ObservedContent(request.Content);
        request.Content = body;
        var response = await base.SendAsync(request, cancellationToken);
        await body.Ended.WaitAsync(cancellationToken);
        return response;
    }

    private sealed class ObservedContent : HttpContent
    {
        private readonly HttpContent _inner;
        private readonly TaskCompletionSource _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public ObservedContent(HttpContent inner)
        {
            _inner = inner;
            foreach (var header in inner.Headers)
            {
                Headers.TryAddWithoutValidation(header.Key, header.Value);
            }
        }

        public Task Ended => _ended.Task;

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            try
            {
                await _inner.CopyToAsync(new ObservedStream(stream, _ended));
            }
            finally
            {
                _ended.TrySetResult();
            }
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _inner.Dispose();
            }
            base.Dispose(disposing);
        }
    }

    /// <summary>Passes writes through; a failed one is reported to its awaiter first (synchronous continuations), then ends the body.</summary>
    private sealed class ObservedStream(Stream inner, TaskCompletionSource ended) : Stream
    {
        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
            new(Observe(inner.WriteAsync(buffer, cancellationToken).AsTask()));

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            Observe(inner.WriteAsync(buffer, offset, count, cancellationToken));

        public override Task FlushAsync(CancellationToken cancellationToken) => Observe(inner.FlushAsync(cancellationToken));

        public override void Write(byte[] buffer, int offset, int count) => inner.Write(buffer, offset, count);

        public override void Flush() => inner.Flush();

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        private Task Observe(Task write)
        {
            // Not RunContinuationsAsynchronously: the writer's continuations (which turn the failure into its exception) run
            // inside SetException, so the body ends, and the response is handed over, only after they have run.
            var outcome = new TaskCompletionSource();
            write.ContinueWith(t =>
            {
                if (t.IsCompletedSuccessfully)
                {
                    outcome.SetResult();
                    return;
                }
                if (t.IsCanceled)
                {
                    outcome.SetCanceled();
                }
                else
                {
                    outcome.SetException(t.Exception!.InnerExceptions);
                }
                ended.TrySetResult();
            }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            return outcome.Task;
        }
    }
}
