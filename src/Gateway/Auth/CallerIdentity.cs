namespace S3Router.Gateway.Auth;

/// <summary>Who is calling: the key's name (or "anonymous"), its role and its rate limit bucket.</summary>
internal sealed record CallerIdentity(string Name, GatewayRole Role, TokenBucket Bucket)
{
    public const string AnonymousName = "anonymous";
}
