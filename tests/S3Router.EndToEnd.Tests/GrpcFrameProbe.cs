using System.Buffers.Binary;
using System.Net;
using System.Net.Http.Headers;

namespace S3Router.EndToEnd.Tests;

/// <summary>
/// Sends a raw gRPC request over HTTP/2 whose one message announces <c>declaredLength</c> bytes in its 5-byte prefix
/// but delivers only a few, and keeps the request open: a server that checks the announced length against its limit
/// answers at once; one that buffered the message first would wait for bytes that never come.
/// </summary>
internal static class GrpcFrameProbe
{
    /// <summary>The grpc-status the server answered with, or throws when it did not answer within 30 s.</summary>
    public static async Task<int> SendAsync(string address, string path, uint declaredLength, string apiKey, CancellationToken cancellationToken)
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var handler = new SocketsHttpHandler();
        using var http = new HttpClient(handler);
        var prefix = new byte[5 + 1024];
        BinaryPrimitives.WriteUInt32BigEndian(prefix.AsSpan(1), declaredLength);
        using var request = new HttpRequestMessage(HttpMethod.Post, address + path)
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new OpenContent(prefix, release.Task),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/grpc");
        request.Headers.TryAddWithoutValidation("te", "trailers");
        request.Headers.Add("x-api-key", apiKey);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        try
        {
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            if (!response.Headers.TryGetValues("grpc-status", out var status))
            {
                await response.Content.ReadAsByteArrayAsync(timeout.Token);
                status = response.TrailingHeaders.GetValues("grpc-status");
            }

            return int.Parse(status.First(), System.Globalization.CultureInfo.InvariantCulture);
        }
        finally
        {
            release.TrySetResult();
        }
    }

    // Writes its bytes, then holds the request body open until released.
    private sealed class OpenContent(byte[] bytes, Task release) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            await stream.WriteAsync(bytes);
            await stream.FlushAsync();
            await release;
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}
