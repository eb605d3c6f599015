using Grpc.Net.Client;
using Polly;
using Polly.CircuitBreaker;
using S3Router.Api.V1;

namespace S3Router.Gateway.Routing;

/// <summary>
/// One inference pod: its channel and client, its circuit breaker, and its count of calls in flight. When the pod
/// leaves the endpoint set it is retired, and its channel is disposed once its last call has ended.
/// </summary>
internal sealed class InferenceEndpoint(
    string address, GrpcChannel channel, ResiliencePipeline breaker, CircuitBreakerStateProvider circuit, Action<InferenceEndpoint>? onLoadChanged = null)
    : IDisposable
{
    private int _inFlight;
    private int _retired;
    private int _disposed;

    /// <summary>The base address, e.g. <c>http://10.0.0.5:50052</c>.</summary>
    public string Address { get; } = address;

    public Speech.SpeechClient Client { get; } = new(channel);

    /// <summary>The endpoint's circuit breaker: run every call to it through this pipeline.</summary>
    public ResiliencePipeline Breaker { get; } = breaker;

    public CircuitState CircuitState => circuit.CircuitState;

    /// <summary>True while the circuit keeps traffic away (open or isolated); half-open lets one probe through.</summary>
    public bool IsOpen => CircuitState is CircuitState.Open or CircuitState.Isolated;

    public int InFlight => Volatile.Read(ref _inFlight);

    public bool IsRetired => Volatile.Read(ref _retired) == 1;

    /// <summary>Counts a call in; false when the endpoint was retired meanwhile (pick another).</summary>
    public bool TryAcquire()
    {
        Interlocked.Increment(ref _inFlight);
        if (IsRetired)
        {
            Release();
            return false;
        }
        onLoadChanged?.Invoke(this);
        return true;
    }

    /// <summary>Counts a call out; disposes a retired endpoint after its last call.</summary>
    public void Release()
    {
        if (Interlocked.Decrement(ref _inFlight) == 0 && IsRetired)
        {
            Dispose();
        }
        else
        {
            onLoadChanged?.Invoke(this);
        }
    }

    /// <summary>Takes the endpoint out of service: no new calls; the channel closes when the calls in flight end.</summary>
    public void Retire()
    {
        Interlocked.Exchange(ref _retired, 1);
        if (InFlight == 0)
        {
            Dispose();
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            channel.Dispose();
        }
    }
}
