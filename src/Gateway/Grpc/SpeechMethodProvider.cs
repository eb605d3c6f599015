using Grpc.AspNetCore.Server.Model;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;

namespace S3Router.Gateway.Grpc;

/// <summary>
/// Binds the Speech methods to <see cref="SpeechGrpcService"/>: Recognize over the request's bytes
/// (<see cref="SpeechMethods.ForwardedRecognize"/>), or parsed when <see cref="GatewayOptions.RecognizePassThrough"/> is
/// false; StreamingRecognize and ListRoutes as generated.
/// </summary>
internal sealed class SpeechMethodProvider(IOptions<GatewayOptions> options) : IServiceMethodProvider<SpeechGrpcService>
{
    public void OnServiceMethodDiscovery(ServiceMethodProviderContext<SpeechGrpcService> context)
    {
        // What the generated binding adds: gRPC is POST only.
        List<object> metadata = [new HttpMethodMetadata(["POST"], acceptCorsPreflight: true)];
        if (options.Value.RecognizePassThrough)
        {
            context.AddUnaryMethod(SpeechMethods.ForwardedRecognize, metadata, (service, request, call) => service.Recognize(request, call));
        }
        else
        {
            context.AddUnaryMethod(SpeechMethods.Recognize, metadata, (service, request, call) => service.Recognize(request, call));
        }
        context.AddDuplexStreamingMethod(SpeechMethods.StreamingRecognize, metadata,
            (service, requests, responses, call) => service.StreamingRecognize(requests, responses, call));
        context.AddUnaryMethod(SpeechMethods.ListRoutes, metadata, (service, request, call) => service.ListRoutes(request, call));
    }
}
