using Grpc.Net.Client;
using S3Router.Api.V1;

namespace S3Router.InferenceService.Tests.Functional;

/// <summary>An inference pod started by <see cref="ServingPlatform.StartInferenceAsync"/>: its channel, Speech client and services.</summary>
public sealed record InferencePod(GrpcChannel Channel, Speech.SpeechClient Speech, IServiceProvider Services);
