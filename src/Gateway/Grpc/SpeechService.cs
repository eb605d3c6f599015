using S3Router.Api.V1;

namespace S3Router.Gateway.Grpc;

/// <summary>
/// Stands in for the generated <c>Speech</c> class for the gateway's handler, whose methods <see cref="SpeechMethodProvider"/>
/// binds (the generated binding would parse every Recognize request). gRPC reflection looks for the service's
/// descriptor on the class that declares the handler's base class: here.
/// </summary>
internal static class SpeechService
{
    /// <summary>The descriptor of s3router.v1.Speech, served by gRPC reflection.</summary>
    public static Google.Protobuf.Reflection.ServiceDescriptor Descriptor => Speech.Descriptor;

    /// <summary>Base class of the gateway's Speech handler; see <see cref="SpeechService"/>.</summary>
    public abstract class Base;
}
