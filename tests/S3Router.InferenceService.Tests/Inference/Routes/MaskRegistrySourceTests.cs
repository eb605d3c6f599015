using System.Buffers;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.Extensions.Options;
using S3Router.Api.V1;
using S3Router.Core.Errors;
using S3Router.Core.Masks;
using S3Router.InferenceService.Inference.Routes;
using S3Router.InferenceService.Onnx;
using S3Router.InferenceService.Tests.Onnx;
using S3Router.Testing;

namespace S3Router.InferenceService.Tests.Inference.Routes;

/// <summary>
/// Bundle downloads through the pod's own chunk reader (<see cref="BundleChunks"/>): the registry's messages are
/// serialised as the registry sends them and read back through the reader, split over several buffer segments.
/// </summary>
public sealed class MaskRegistrySourceTests
{
    private static readonly string BackboneHex = new('b', 64);

    [Fact]
    public async Task DownloadAsync_VersionThenChunks_BundleBytesThatVerifyAndReadAsTheRoute()
    {
        var (backbone, bytes, version) = Route();
        var messages = new[] { Version(version) }.Concat(Chunks(bytes, 100_000)).ToArray();

        var downloaded = await Source(messages).DownloadAsync(version, TestContext.Current.CancellationToken);
        var model = RouteModel.Create(version, downloaded, backbone);

        Assert.Equal(bytes, downloaded);
        Assert.Equal(MaskBundle.Read(bytes).Masks.Select(m => m.Packed.ToArray()), model.Bundle.Masks.Select(m => m.Packed.ToArray()));
        Assert.Equal(bytes.Length, model.Bytes);
    }

    [Fact]
    public async Task DownloadAsync_FieldsThisPodDoesNotKnow_SkippedAndTheBytesStillVerify()
    {
        var (backbone, bytes, version) = Route();
        // Field 9 as varint, fixed64, length-delimited and fixed32, around a chunk.
        var unknown = new byte[] { 9 << 3 | 0, 0x96, 0x01, 9 << 3 | 1, 1, 2, 3, 4, 5, 6, 7, 8, 9 << 3 | 2, 2, 0xAA, 0xBB, 9 << 3 | 5, 1, 2, 3, 4 };
        var message = unknown.Concat(new DownloadMaskResponse { Chunk = ByteString.CopyFrom(bytes) }.ToByteArray()).Concat(unknown).ToArray();

        var downloaded = await Source([message]).DownloadAsync(version, TestContext.Current.CancellationToken);

        Assert.Equal(bytes, downloaded);
        _ = RouteModel.Create(version, downloaded, backbone);
    }

    [Fact]
    public async Task DownloadAsync_FewerBytesThanTheRegistrySays_RouteRefusedWithTheDigestMismatch()
    {
        var (backbone, bytes, version) = Route();

        var downloaded = await Source(Chunks(bytes[..^10], 50_000)).DownloadAsync(version, TestContext.Current.CancellationToken);
        var error = Assert.Throws<FailedPreconditionException>(() => RouteModel.Create(version, downloaded, backbone));

        Assert.Equal(bytes.Length - 10, downloaded.Length);
        Assert.Contains($"downloaded with digest sha256:{Sha256Digest.Of(bytes[..^10])}, but the registry says {version.Digest}", error.Message);
    }

    [Fact]
    public async Task DownloadAsync_MoreBytesThanTheRegistrySaysUnderTheLimit_RouteRefusedWithTheDigestMismatch()
    {
        var (backbone, bytes, version) = Route();
        var longer = bytes.Concat(new byte[300]).ToArray();

        var downloaded = await Source(Chunks(longer, 70_000)).DownloadAsync(version, TestContext.Current.CancellationToken);
        var error = Assert.Throws<FailedPreconditionException>(() => RouteModel.Create(version, downloaded, backbone));

        Assert.Equal(longer, downloaded);
        Assert.Contains("but the registry says", error.Message);
    }

    [Fact]
    public async Task DownloadAsync_BytesOverThePodsLimit_FailedPreconditionNamingTheLimit()
    {
        var (_, bytes, version) = Route();
        var limit = bytes.Length - 1;
        version.SizeBytes = 2048; // the registry's record says it fits

        var error = await Assert.ThrowsAsync<FailedPreconditionException>(
            () => Source(Chunks(bytes, 1000), limit).DownloadAsync(version, TestContext.Current.CancellationToken));

        Assert.Equal($"The bundle of route {version.Task}/{version.LanguageCode} v1 exceeds this pod's limit of {limit} bytes.", error.Message);
    }

    [Fact]
    public async Task DownloadAsync_RegistrySizeOverThePodsLimit_FailedPreconditionWithoutDownloading()
    {
        var (_, bytes, version) = Route();
        var invoker = new RegistryStub(Chunks(bytes, 1000));

        var error = await Assert.ThrowsAsync<FailedPreconditionException>(
            () => new MaskRegistrySource(invoker, Options(bytes.Length - 1)).DownloadAsync(version, TestContext.Current.CancellationToken));

        Assert.Equal($"The bundle of route {version.Task}/{version.LanguageCode} v1 is {bytes.Length} bytes, over this pod's limit of {bytes.Length - 1}.", error.Message);
        Assert.Equal(0, invoker.Calls);
    }

    [Fact]
    public async Task DownloadAsync_RegistrySaysNotFound_NotFoundNamingTheRoute()
    {
        var (_, _, version) = Route();
        var invoker = new RegistryStub([], new RpcException(new Status(StatusCode.NotFound, "no such digest")));

        var error = await Assert.ThrowsAsync<NotFoundException>(
            () => new MaskRegistrySource(invoker, Options(1L << 30)).DownloadAsync(version, TestContext.Current.CancellationToken));

        Assert.Contains($"route {version.Task}/{version.LanguageCode} v1", error.Message);
    }

    private static (LoadedBackbone Backbone, byte[] Bytes, MaskVersion Version) Route()
    {
        var config = TinyConfigs.ByStyle(false);
        var backbone = new LoadedBackbone(config, TestWeights.For(config, seed: 71), BackboneHex);
        var bytes = TestBundles.Ctc(config, BackboneHex, "en", seed: 5).ToBytes();
        var version = new MaskVersion
        {
            Task = "asr", LanguageCode = "en", Version = 1, Digest = "sha256:" + Sha256Digest.Of(bytes), SizeBytes = bytes.Length,
        };
        return (backbone, bytes, version);
    }

    private static byte[] Version(MaskVersion version) => new DownloadMaskResponse { Version = version }.ToByteArray();

    private static byte[][] Chunks(byte[] bytes, int size) =>
        bytes.Chunk(size).Select(chunk => new DownloadMaskResponse { Chunk = ByteString.CopyFrom(chunk) }.ToByteArray()).ToArray();

    private static MaskRegistrySource Source(byte[][] messages, long limit = 1L << 30) => new(new RegistryStub(messages), Options(limit));

    private static IOptions<InferenceOptions> Options(long limit) =>
        Microsoft.Extensions.Options.Options.Create(new InferenceOptions { MaxBundleBytes = limit });

    /// <summary>A registry whose DownloadMask stream yields <c>messages</c> (serialised responses) through the method's own reader.</summary>
    private sealed class RegistryStub(byte[][] messages, RpcException? failure = null) : CallInvoker
    {
        public int Calls { get; private set; }

        public override AsyncServerStreamingCall<TResponse> AsyncServerStreamingCall<TRequest, TResponse>(
            Method<TRequest, TResponse> method, string? host, CallOptions options, TRequest request)
        {
            Calls++;
            Assert.Equal("/s3router.v1.MaskRegistry/DownloadMask", method.FullName);
            var reader = new Reader<TResponse>(messages, method.ResponseMarshaller, failure);
            return new AsyncServerStreamingCall<TResponse>(
                reader, Task.FromResult(new Metadata()), () => Status.DefaultSuccess, () => [], () => { });
        }

        public override TResponse BlockingUnaryCall<TRequest, TResponse>(Method<TRequest, TResponse> method, string? host, CallOptions options, TRequest request) =>
            throw new NotSupportedException();

        public override AsyncUnaryCall<TResponse> AsyncUnaryCall<TRequest, TResponse>(Method<TRequest, TResponse> method, string? host, CallOptions options, TRequest request) =>
            throw new NotSupportedException();

        public override AsyncClientStreamingCall<TRequest, TResponse> AsyncClientStreamingCall<TRequest, TResponse>(
            Method<TRequest, TResponse> method, string? host, CallOptions options) => throw new NotSupportedException();

        public override AsyncDuplexStreamingCall<TRequest, TResponse> AsyncDuplexStreamingCall<TRequest, TResponse>(
            Method<TRequest, TResponse> method, string? host, CallOptions options) => throw new NotSupportedException();
    }

    private sealed class Reader<T>(byte[][] messages, Marshaller<T> marshaller, RpcException? failure) : IAsyncStreamReader<T>
    {
        private int _next;

        public T Current { get; private set; } = default!;

        public Task<bool> MoveNext(CancellationToken cancellationToken)
        {
            if (_next == messages.Length)
            {
                return failure is null ? Task.FromResult(false) : Task.FromException<bool>(failure);
            }

            Current = marshaller.ContextualDeserializer(new Payload(messages[_next++]));
            return Task.FromResult(true);
        }
    }

    /// <summary>A message as gRPC hands it to a reader: a sequence of segments (here 777 bytes each, so fields straddle them).</summary>
    private sealed class Payload(byte[] message) : DeserializationContext
    {
        public override int PayloadLength => message.Length;

        public override byte[] PayloadAsNewBuffer() => (byte[])message.Clone();

        public override ReadOnlySequence<byte> PayloadAsReadOnlySequence()
        {
            if (message.Length == 0)
            {
                return ReadOnlySequence<byte>.Empty;
            }

            var parts = message.Chunk(777).ToArray();
            var first = new Segment(parts[0], 0);
            var last = first;
            foreach (var part in parts.Skip(1))
            {
                last = last.Append(part);
            }

            return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
        }
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(byte[] bytes, long runningIndex)
        {
            Memory = bytes;
            RunningIndex = runningIndex;
        }

        public Segment Append(byte[] bytes)
        {
            var next = new Segment(bytes, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
