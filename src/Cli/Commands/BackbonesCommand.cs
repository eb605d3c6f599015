using System.CommandLine;
using S3Router.Api.V1;
using S3Router.Core.Masks;
using S3Router.Core.Safetensors;

namespace S3Router.Cli.Commands;

/// <summary><c>s3r backbones register DIR | list</c>.</summary>
internal static class BackbonesCommand
{
    public static Command Create() => new("backbones", "Backbones known to the mask registry") { Register(), List() };

    private static Command Register()
    {
        var dir = new Argument<DirectoryInfo>("dir") { Description = "Backbone directory with config.json and model.safetensors" };
        var name = new Option<string?>("--name") { Description = "Name to register (default: the directory's name)" };
        var command = new Command("register", "Register a backbone (digest and tensor shapes of model.safetensors, plus config.json)") { dir, name };
        command.SetAction((parse, ct) => RegistryConnection.RunAsync(parse, ct, async (client, headers) =>
        {
            var folder = parse.GetValue(dir)!;
            var model = Path.Combine(folder.FullName, "model.safetensors");
            var request = new RegisterBackboneRequest
            {
                Digest = "sha256:" + await Sha256Digest.OfFileAsync(model, ct),
                Name = parse.GetValue(name) ?? folder.Name,
                ConfigJson = await File.ReadAllTextAsync(Path.Combine(folder.FullName, "config.json"), ct),
            };
            using (var file = SafetensorsFile.Open(model))
            {
                request.Tensors.AddRange(file.Tensors.Values.OrderBy(t => t.Name, StringComparer.Ordinal)
                    .Select(t => new TensorShape { Name = t.Name, Dims = { t.Shape } }));
            }
            var reply = await client.RegisterBackboneAsync(request, headers, cancellationToken: ct);
            await parse.InvocationConfiguration.Output.WriteLineAsync($"{(reply.Created ? "registered" : "already registered")} {reply.Backbone.Name} {reply.Backbone.Digest} ({reply.Backbone.ParameterCount:N0} parameters, {reply.Backbone.Tensors.Count} tensors)");
            return 0;
        }));
        return command;
    }

    private static Command List()
    {
        var command = new Command("list", "List registered backbones");
        command.SetAction((parse, ct) => RegistryConnection.RunAsync(parse, ct, async (client, headers) =>
        {
            var token = "";
            do
            {
                var page = await client.ListBackbonesAsync(new ListBackbonesRequest { PageToken = token }, headers, cancellationToken: ct);
                foreach (var b in page.Backbones)
                {
                    await parse.InvocationConfiguration.Output.WriteLineAsync($"{b.Digest}  {b.Name,-24} {b.ParameterCount,14:N0} params  {b.CreateTime.ToDateTime():u}  {b.Creator}");
                }
                token = page.NextPageToken;
            }
            while (token.Length > 0);
            return 0;
        }));
        return command;
    }
}
