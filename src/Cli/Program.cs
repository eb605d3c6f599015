using System.CommandLine;
using S3Router.Cli.Commands;

var root = new RootCommand("s3r — the S3Router Services command line")
{
    HealthCommand.Create(),
    MasksCommand.Create(),
    BackbonesCommand.Create(),
    RegistryConnection.Registry,
    RegistryConnection.ApiKey,
    DataCommand.Create(),
    PretrainCommand.Create(),
    ProbeCommand.Create(),
    RecognizeCommand.Create(),
    ServeCommand.Create(),
};
return await root.Parse(args).InvokeAsync();
