namespace S3Router.EndToEnd.Tests;

/// <summary>Test classes sharing one <see cref="ProcessPlatform"/> (one set of service processes), run one after another.</summary>
[CollectionDefinition(Name)]
public sealed class PlatformCollection : ICollectionFixture<ProcessPlatform>
{
    public const string Name = "service processes";
}
