namespace S3Router.Cli;

/// <summary>Entry point of <c>s3r</c>; in a namespace so it does not clash with the services' global <c>Program</c>.</summary>
internal static class Program
{
    public static Task<int> Main(string[] args) => CliApp.RunAsync(args);
}
