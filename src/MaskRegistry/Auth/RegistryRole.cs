namespace S3Router.MaskRegistry.Auth;

/// <summary>What a caller may do; each role includes the ones below it.</summary>
public enum RegistryRole
{
    /// <summary>Resolve, list, download, watch.</summary>
    Reader = 1,

    /// <summary>Also publish, move aliases, yank.</summary>
    Publisher = 2,

    /// <summary>Also register backbones.</summary>
    Admin = 3,
}
