using System.CommandLine;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using S3Router.Core.Hosting;
using S3Router.Gateway.Extensions;
using S3Router.InferenceService.Extensions;
using S3Router.MaskRegistry.Extensions;
using S3Router.TrainingService.Extensions;

namespace S3Router.Cli.Commands;

/// <summary>
/// <c>s3r serve</c>: the whole platform in one process on the embedded defaults — registry (SQLite + blob folder),
/// inference, gateway, training — each on its usual ports, so clients and the CLI talk to it exactly as to a deployment.
/// </summary>
internal static class ServeCommand
{
    private sealed record Service(string Name, int GrpcPort, int MetricsPort, Action<WebApplicationBuilder> Add, Action<WebApplication> Map);

    private static readonly Service[] Services =
    [
        new("registry", 50053, 9453, b => b.AddMaskRegistryServices(), a => a.MapMaskRegistry()),
        new("inference", 50052, 9452, b => b.AddInferenceServices(), a => a.MapInference()),
        new("gateway", 50051, 9451, b => b.AddGatewayServices(), a => a.MapGateway()),
        new("training", 50054, 9454, b => b.AddTrainingServices(), a => a.MapTraining()),
    ];

    public static Command Create()
    {
        var listen = new Option<string>("--listen") { Description = "Address every service listens on", DefaultValueFactory = _ => "127.0.0.1" };
        var dataDir = new Option<DirectoryInfo>("--data-dir") { Description = "Where the registry keeps its database and blobs, and training its jobs", DefaultValueFactory = _ => new DirectoryInfo(".s3router") };
        var backbone = new Option<DirectoryInfo>("--backbone") { Description = "Backbone directory the inference service loads", DefaultValueFactory = _ => new DirectoryInfo(Path.Combine("models", "tiny-ssl")) };
        var verbose = new Option<bool>("--verbose") { Description = "Log at Information level (default: warnings only)" };
        var command = new Command("serve", "Run registry, inference, gateway and training in one process on the embedded defaults")
        {
            listen, dataDir, backbone, verbose,
        };
        command.SetAction(async (parse, ct) =>
        {
            var settings = new Dictionary<string, string?>
            {
                ["Service:ListenAddress"] = parse.GetValue(listen),
                ["MaskRegistry:DataDirectory"] = Path.Combine(parse.GetValue(dataDir)!.FullName, "registry"),
                ["Training:DataDirectory"] = Path.Combine(parse.GetValue(dataDir)!.FullName, "training"),
                ["Inference:BackboneDirectory"] = parse.GetValue(backbone)!.FullName,
            };
            var level = parse.GetValue(verbose) ? LogLevel.Information : LogLevel.Warning;
            var apps = Services.Select(s => Build(s, settings, level)).ToList();
            try
            {
                foreach (var app in apps)
                {
                    await app.StartAsync(ct);
                }
                var output = parse.InvocationConfiguration.Output;
                foreach (var s in Services)
                {
                    await output.WriteLineAsync($"{s.Name,-10} grpc://{settings["Service:ListenAddress"]}:{s.GrpcPort}  metrics http://{settings["Service:ListenAddress"]}:{s.MetricsPort}/metrics");
                }
                await output.WriteLineAsync("serving; Ctrl-C stops");
                await Task.Delay(Timeout.Infinite, ct).ContinueWith(_ => { }, CancellationToken.None);
            }
            finally
            {
                foreach (var app in Enumerable.Reverse(apps))
                {
                    await app.StopAsync(CancellationToken.None);
                    await app.DisposeAsync();
                }
            }
            return 0;
        });
        return command;
    }

    private static WebApplication Build(Service service, Dictionary<string, string?> settings, LogLevel level)
    {
        var builder = WebApplication.CreateBuilder();
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Logging.SetMinimumLevel(level);
        builder.AddServiceDefaults(service.GrpcPort, service.MetricsPort);
        service.Add(builder);
        var app = builder.Build();
        app.MapDefaultEndpoints();
        service.Map(app);
        return app;
    }
}
