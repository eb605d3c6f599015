using Grpc.Core;
using S3Router.Api.V1;

namespace S3Router.EndToEnd.Tests;

/// <summary>One malformed call of the bad-input storm: what kind it is, how to make it, and the codes it may end with.</summary>
/// <param name="Kind">A short name of the malformation, e.g. "wav-bad-rate".</param>
/// <param name="Call">Makes the call and returns its status code (OK when it succeeded).</param>
/// <param name="Expected">The status codes a correct server may answer with.</param>
internal sealed record StormCase(string Kind, Func<Speech.SpeechClient, CancellationToken, Task<StatusCode>> Call, StatusCode[] Expected);
