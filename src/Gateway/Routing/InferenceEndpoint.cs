using Grpc.Core;
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
    string address, GrpcChannel channel, ResiliencePipeline breaker, Func<CircuitState> circuit, TimeProvider time,
    Action<InferenceEndpoint>? onLoadChanged = null)
    : IDisposable
{
    private long _probeAtTicks;
    private int _inFlight;
    private int _retired;
    private int _disposed;

    /// <summary>The base address, e.g. <c>http://10.0.0.5:50052</c>.</summary>
    public string Address { get; } = address;

    /// <summary>Calls to the pod with methods of the gateway's own (the pass-through Recognize).</summary>
    public CallInvoker Invoker { get; } = channel.CreateCallInvoker();

    public Speech.SpeechClient Client { get; } = new(channel);

    /// <summary>The endpoint's circuit breakers: run every call to it through this pipeline.</summary>
    public ResiliencePipeline Breaker { get; } = breaker;

    /// <summary>The worse state of the endpoint's circuit breakers (dead endpoint, failure ratio).</summary>
    public CircuitState CircuitState => circuit();

    /// <summary>
    /// True while the circuit keeps traffic away: isolated, or open and its break not yet over. An open circuit turns
    /// half-open only when a call runs through it, so once the break is over the endpoint must be picked again for
    /// that probe call (the first one half-opens the circuit; others meanwhile fail fast and are retried elsewhere).
    /// </summary>
    public bool IsOpen => CircuitState switch
    {
        CircuitState.Isolated => true,
        CircuitState.Open => time.GetUtcNow().UtcTicks < Interlocked.Read(ref _probeAtTicks),
        _ => false,
    };

    /// <summary>
    /// Called by a breaker when its circuit opens: traffic stays away for <paramref name="breakDuration"/>, or until a
    /// later probe time already set by the other breaker.
    /// </summary>
    public void CircuitOpened(TimeSpan breakDuration)
    {
        var now = time.GetUtcNow().UtcTicks;
        var probeAt = breakDuration >= TimeSpan.MaxValue - TimeSpan.FromTicks(now) ? long.MaxValue : now + breakDuration.Ticks;
        long current;
        do
        {
            current = Interlocked.Read(ref _probeAtTicks);
        }
        while (current < probeAt && Interlocked.CompareExchange(ref _probeAtTicks, probeAt, current) != current);
    }

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
