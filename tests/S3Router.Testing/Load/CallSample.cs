using Grpc.Core;

namespace S3Router.Testing.Load;

/// <summary>One call of a load run.</summary>
/// <param name="Start">When it started, from the start of the run.</param>
/// <param name="Latency">How long it took until its status was known.</param>
/// <param name="Status">Its gRPC status; <see cref="StatusCode.Unknown"/> also for an exception that was not an RpcException.</param>
public readonly record struct CallSample(TimeSpan Start, TimeSpan Latency, StatusCode Status);
