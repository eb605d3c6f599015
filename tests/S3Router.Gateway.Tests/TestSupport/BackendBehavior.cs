namespace S3Router.Gateway.Tests.TestSupport;

/// <summary>How a fake inference backend answers.</summary>
internal enum BackendBehavior
{
    /// <summary>Answers at once, naming itself.</summary>
    Normal,

    /// <summary>Fails every call with UNAVAILABLE.</summary>
    Unavailable,

    /// <summary>Never answers; waits until the call is cancelled (deadline, hedge lost, caller gone).</summary>
    Hang,

    /// <summary>Fails every call with NOT_FOUND (a caller error the gateway must pass through unchanged).</summary>
    NotFound,
}
