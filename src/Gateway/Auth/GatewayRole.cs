namespace S3Router.Gateway.Auth;

/// <summary>What an API key may call on the gateway; each role includes the ones below it.</summary>
public enum GatewayRole
{
    /// <summary>ListRoutes only.</summary>
    Reader = 1,

    /// <summary>Also Recognize and StreamingRecognize.</summary>
    User = 2,

    /// <summary>Everything, including methods added later that are not listed for a lower role.</summary>
    Admin = 3,
}
