using Google.Protobuf;
using Grpc.Core;
using S3Router.Api.V1;
using S3Router.Gateway.Proxy;

namespace S3Router.Gateway.Grpc;

/// <summary>
/// The gateway's own definitions of the s3router.v1.Speech methods (the generated ones are private to the generated
/// client). Recognize has two: <see cref="ForwardedRecognize"/> keeps the request as its bytes on the way in and sends
/// the same bytes on the way out (the gateway's default), <see cref="Recognize"/> parses and re-serialises it.
/// </summary>
internal static class SpeechMethods
{
    private const string ServiceName = "s3router.v1.Speech";

    /// <summary>Recognize over the request's bytes: the server side reads them once, the client side writes them as they are.</summary>
    public static readonly Method<ForwardedRecognizeRequest, RecognizeResponse> ForwardedRecognize = new(
        MethodType.Unary, ServiceName, nameof(Speech.SpeechClient.Recognize),
        Marshallers.Create<ForwardedRecognizeRequest>(
            (request, context) => context.Complete(request.Bytes),
            context => ForwardedRecognizeRequest.Read(context.PayloadAsReadOnlySequence())),
        Protobuf(RecognizeResponse.Parser));

    /// <summary>Recognize with the request parsed into a message (<see cref="GatewayOptions.RecognizePassThrough"/> false).</summary>
    public static readonly Method<RecognizeRequest, RecognizeResponse> Recognize = new(
        MethodType.Unary, ServiceName, nameof(Speech.SpeechClient.Recognize), Protobuf(RecognizeRequest.Parser), Protobuf(RecognizeResponse.Parser));

    public static readonly Method<StreamingRecognizeRequest, StreamingRecognizeResponse> StreamingRecognize = new(
        MethodType.DuplexStreaming, ServiceName, nameof(Speech.SpeechClient.StreamingRecognize),
        Protobuf(StreamingRecognizeRequest.Parser), Protobuf(StreamingRecognizeResponse.Parser));

    public static readonly Method<ListRoutesRequest, ListRoutesResponse> ListRoutes = new(
        MethodType.Unary, ServiceName, nameof(Speech.SpeechClient.ListRoutes), Protobuf(ListRoutesRequest.Parser), Protobuf(ListRoutesResponse.Parser));

    // What the generated code does: write into gRPC's buffer, parse from its sequence.
    private static Marshaller<T> Protobuf<T>(MessageParser<T> parser) where T : IMessage<T> =>
        Marshallers.Create<T>(
            (message, context) =>
            {
                context.SetPayloadLength(message.CalculateSize());
                message.WriteTo(context.GetBufferWriter());
                context.Complete();
            },
            context => parser.ParseFrom(context.PayloadAsReadOnlySequence()));
}
