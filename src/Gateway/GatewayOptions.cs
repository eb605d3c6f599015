using System.ComponentModel.DataAnnotations;

namespace S3Router.Gateway;

/// <summary>
/// Where the inference pods are and how calls to them are routed and protected. Bound from the <c>Gateway</c> section
/// (env: <c>Gateway__Endpoints__0</c>, <c>Gateway__DnsName</c>, <c>Gateway__RetryAttempts</c>, ...).
/// With nothing configured the gateway calls one inference service on <c>http://127.0.0.1:50052</c> (the embedded default).
/// </summary>
public sealed class GatewayOptions
{
    public const string SectionName = "Gateway";

    /// <summary>The address used when neither <see cref="Endpoints"/> nor <see cref="DnsName"/> is set.</summary>
    public const string DefaultEndpoint = "http://127.0.0.1:50052";

    /// <summary>Static inference addresses, e.g. <c>http://10.0.0.5:50052</c> (scheme optional, http assumed). Default: none.</summary>
    public List<string> Endpoints { get; set; } = [];

    /// <summary>
    /// A DNS name resolved to all inference pods, e.g. a Kubernetes headless service
    /// (<c>inference-headless.s3router.svc.cluster.local</c>); re-resolved every <see cref="DnsRefreshInterval"/>.
    /// Default: none (use <see cref="Endpoints"/>).
    /// </summary>
    public string? DnsName { get; set; }

    /// <summary>Port of the inference pods found through <see cref="DnsName"/>. Default: 50052.</summary>
    [Range(1, 65535)]
    public int DnsPort { get; set; } = 50052;

    /// <summary>How often <see cref="DnsName"/> is resolved again. Default: 10 s; 1 s to 1 h.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan DnsRefreshInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Longest time a call may take through the gateway, retries included, and the deadline sent downstream when the
    /// caller set none (a caller's earlier deadline always wins). Default: 30 s; 10 ms to 1 h.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "01:00:00")]
    public TimeSpan CallTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Deadline sent downstream for a StreamingRecognize call whose caller set none (streams of live audio outlast
    /// unary calls). Default: 10 min; 1 s to 24 h.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan StreamTimeout { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Retries of a unary call that failed with <c>UNAVAILABLE</c>; each goes to the next endpoint on the ring. Default: 2; 0 to 10.</summary>
    [Range(0, 10)]
    public int RetryAttempts { get; set; } = 2;

    /// <summary>Base delay of the exponential, jittered backoff between retries. Default: 50 ms; 0 to 10 s.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:00:10")]
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>Share of failed calls (<c>UNAVAILABLE</c>) in the sampling window that opens an endpoint's circuit. Default: 0.5; 0.01 to 1.</summary>
    [Range(0.01, 1.0)]
    public double CircuitFailureRatio { get; set; } = 0.5;

    /// <summary>Window over which an endpoint's failure ratio is measured. Default: 10 s; 0.5 s to 10 min.</summary>
    [Range(typeof(TimeSpan), "00:00:00.500", "00:10:00")]
    public TimeSpan CircuitSamplingDuration { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Calls an endpoint must have had in the window before its circuit may open. Default: 5; 2 to 10000.</summary>
    [Range(2, 10_000)]
    public int CircuitMinimumThroughput { get; set; } = 5;

    /// <summary>
    /// Failed calls (<c>UNAVAILABLE</c>) within <see cref="CircuitDeadWindow"/>, with no success among them, that open an
    /// endpoint's circuit at once. This catches a pod that died (connections refused or reset): the failure-ratio rule
    /// alone waits until failures outnumber the successes still in its <see cref="CircuitSamplingDuration"/>, which for
    /// a pod that was busy until it died can take longer than the outage. Default: 3; 2 to 10000.
    /// </summary>
    [Range(2, 10_000)]
    public int CircuitDeadMinimumFailures { get; set; } = 3;

    /// <summary>Window of the dead-endpoint rule (<see cref="CircuitDeadMinimumFailures"/>): every call in it must have failed. Default: 1 s; 0.5 s to 10 min.</summary>
    [Range(typeof(TimeSpan), "00:00:00.500", "00:10:00")]
    public TimeSpan CircuitDeadWindow { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long an open circuit keeps traffic away from its endpoint before one probe call. Default: 5 s; 0.5 s to 10 min.</summary>
    [Range(typeof(TimeSpan), "00:00:00.500", "00:10:00")]
    public TimeSpan CircuitBreakDuration { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Send a unary call to the next endpoint too when the first has not answered after <see cref="HedgingDelay"/>
    /// (or failed with <c>UNAVAILABLE</c>); the first answer wins and the others are cancelled. Default: false.
    /// </summary>
    public bool HedgingEnabled { get; set; }

    /// <summary>Wait before a hedged call is sent. Default: 200 ms; 1 ms to 1 min.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:01:00")]
    public TimeSpan HedgingDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Extra (hedged) calls at most, each to another endpoint. Default: 1; 1 to 5.</summary>
    [Range(1, 5)]
    public int HedgingMaxAttempts { get; set; } = 1;

    /// <summary>
    /// Bounded-load factor c of consistent hashing: an endpoint with ceil(c × average) calls in flight is skipped for
    /// the next one on the ring. Default: 1.25; 1 to 10.
    /// </summary>
    [Range(1.0, 10.0)]
    public double LoadFactor { get; set; } = 1.25;

    /// <summary>Points per endpoint on the hash ring; more spreads routes more evenly. Default: 160; 1 to 1000.</summary>
    [Range(1, 1000)]
    public int VirtualNodes { get; set; } = 160;

    /// <summary>Routes a request may add beside its primary route (<c>additional_routes</c>). Default: 8; 0 to 64.</summary>
    [Range(0, 64)]
    public int MaxAdditionalRoutes { get; set; } = 8;

    /// <summary>
    /// Largest inline audio (<c>audio.content</c>) accepted, in bytes; larger requests fail early with
    /// <c>INVALID_ARGUMENT</c> instead of travelling to a pod. Keep it equal to the inference service's limit.
    /// Default: 10 MiB (10,485,760); 1 KiB to 1 GiB.
    /// </summary>
    [Range(1024, 1 << 30)]
    public int MaxAudioBytes { get; set; } = 10 * 1024 * 1024;

    /// <summary>
    /// Forward a Recognize request's bytes to the pod as they arrived, reading only the fields that validation and routing
    /// need (the audio is not copied out, only its length is checked); false parses the whole request and serialises it
    /// again, as before issue 7 (kept to measure the difference). Validation, errors and behaviour are the same either way.
    /// Default: true.
    /// </summary>
    public bool RecognizePassThrough { get; set; } = true;

    /// <summary>Interval between HTTP/2 keepalive pings to an endpoint, so a dead pod is noticed on idle connections. Default: 20 s; 1 s to 10 min.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan KeepAlivePingDelay { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>Time to wait for a keepalive ping's answer before the connection is closed. Default: 10 s; 1 s to 10 min.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan KeepAlivePingTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Time to open a TCP connection to an endpoint before the attempt fails as <c>UNAVAILABLE</c>. Default: 3 s; 100 ms to 1 min.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:01:00")]
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>True when the endpoint source is consistent: not both a list and a DNS name, and every address an http(s) URI.</summary>
    public bool HasValidEndpoints() =>
        (Endpoints.Count == 0 || string.IsNullOrWhiteSpace(DnsName))
        && Endpoints.All(e => TryNormalizeAddress(e, out _));

    /// <summary>Adds <c>http://</c> when no scheme is given and checks the result is an absolute http(s) URI with a host and a port.</summary>
    public static bool TryNormalizeAddress(string? value, out string address)
    {
        address = "";
        if (string.IsNullOrWhiteSpace(value))
        {
            return false;
        }
        var text = value.Contains("://", StringComparison.Ordinal) ? value.Trim() : "http://" + value.Trim();
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)
            || string.IsNullOrEmpty(uri.Host) || uri.AbsolutePath != "/")
        {
            return false;
        }
        address = $"{uri.Scheme}://{uri.Authority}";
        return true;
    }
}
