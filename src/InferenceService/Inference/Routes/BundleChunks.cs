using System.Buffers;
using Grpc.Core;
using Google.Protobuf;
using S3Router.Api.V1;

namespace S3Router.InferenceService.Inference.Routes;

/// <summary>
/// The registry's <c>DownloadMask</c> stream with a response reader of our own: the generated one parses each chunk
/// into a new <see cref="ByteString"/> (a copy of every chunk, on the large object heap when it is over 85 KB, garbage
/// as soon as it is copied into the route's buffer). Here a chunk is copied from gRPC's message buffer into a pooled
/// array, which the download copies into the route's buffer and gives back: no per-fetch garbage. Wire format:
/// <c>DownloadMaskResponse</c> (protos/s3router/v1/registry.proto), field 2 <c>bytes chunk</c>; every other field
/// (the <c>version</c> header, fields a newer registry adds) is skipped.
/// </summary>
internal static class BundleChunks
{
    private const int ChunkField = 2; // DownloadMaskResponse.chunk

    /// <summary>One method object for the process: gRPC caches per method, so it must not be made per call.</summary>
    public static readonly Method<DownloadMaskRequest, Part> DownloadMask = new(
        MethodType.ServerStreaming,
        Api.V1.MaskRegistry.Descriptor.FullName,
        "DownloadMask",
        Marshallers.Create(request => request.ToByteArray(), DownloadMaskRequest.Parser.ParseFrom),
        new Marshaller<Part>((_, _) => throw new NotSupportedException("Responses are only read."), Read));

    /// <summary>One response message: a chunk (pooled, <see cref="Length"/> bytes; give it back with <see cref="Return"/>) or something else.</summary>
    internal sealed class Part
    {
        private byte[]? _rented;

        /// <summary>Whether the message carried bundle bytes.</summary>
        public bool IsChunk { get; private set; }

        /// <summary>Number of bundle bytes in the message.</summary>
        public int Length { get; private set; }

        /// <summary>The bundle bytes of the message (empty when it is not a chunk).</summary>
        public ReadOnlySpan<byte> Bytes => _rented.AsSpan(0, Length);

        /// <summary>Gives the pooled array back; <see cref="Bytes"/> is empty afterwards.</summary>
        public void Return()
        {
            if (_rented is { } rented)
            {
                _rented = null;
                Length = 0;
                ArrayPool<byte>.Shared.Return(rented);
            }
        }

        internal void Fill(ref SequenceReader<byte> reader, int length)
        {
            Return(); // protobuf: a repeated oneof field, the last one wins
            var rented = ArrayPool<byte>.Shared.Rent(Math.Max(length, 1));
            if (!reader.TryCopyTo(rented.AsSpan(0, length)))
            {
                ArrayPool<byte>.Shared.Return(rented);
                throw new InvalidDataException("A DownloadMask chunk is cut short.");
            }

            reader.Advance(length);
            _rented = rented;
            Length = length;
            IsChunk = true;
        }
    }

    /// <summary>Parses one <c>DownloadMaskResponse</c> from gRPC's buffer (valid only during this call).</summary>
    internal static Part Read(DeserializationContext context)
    {
        var reader = new SequenceReader<byte>(context.PayloadAsReadOnlySequence());
        var part = new Part();
        try
        {
            while (!reader.End)
            {
                var tag = Varint(ref reader);
                var field = tag >> 3;
                switch (tag & 7)
                {
                    case 0: // varint
                        Varint(ref reader);
                        break;
                    case 1: // fixed64
                        Skip(ref reader, 8);
                        break;
                    case 2: // length-delimited
                        var length = Varint(ref reader);
                        if (length > int.MaxValue || (long)length > reader.Remaining)
                        {
                            throw new InvalidDataException("A DownloadMask field runs past the message.");
                        }

                        if (field == ChunkField)
                        {
                            part.Fill(ref reader, (int)length);
                        }
                        else
                        {
                            reader.Advance((long)length);
                        }

                        break;
                    case 5: // fixed32
                        Skip(ref reader, 4);
                        break;
                    default:
                        throw new InvalidDataException($"DownloadMaskResponse field {field} has wire type {tag & 7}, not one proto3 uses.");
                }
            }
        }
        catch
        {
            part.Return();
            throw;
        }

        return part;
    }

    private static ulong Varint(ref SequenceReader<byte> reader)
    {
        ulong value = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            if (!reader.TryRead(out var b))
            {
                throw new InvalidDataException("A DownloadMask varint is cut short.");
            }

            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return value;
            }
        }

        throw new InvalidDataException("A DownloadMask varint is longer than 10 bytes.");
    }

    private static void Skip(ref SequenceReader<byte> reader, int count)
    {
        if (reader.Remaining < count)
        {
            throw new InvalidDataException("A DownloadMask field runs past the message.");
        }

        reader.Advance(count);
    }
}
