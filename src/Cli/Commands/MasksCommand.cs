using System.CommandLine;
using System.Security.Cryptography;
using Google.Protobuf;
using Grpc.Core;
using S3Router.Api.V1;
using S3Router.Core.Masks;
using S3Router.Core.Routes;

namespace S3Router.Cli.Commands;

/// <summary><c>s3r masks publish|list|show|resolve|alias|yank|download|watch</c>: a thin client of the mask registry.</summary>
internal static class MasksCommand
{
    public static Command Create() => new("masks", "Mask bundles in the registry")
    {
        Publish(), List(), Show(), Resolve(), Alias(), Yank(), Download(), Watch(),
    };

    private static Argument<string> TaskArgument() => new("task") { Description = "Task, e.g. asr" };

    private static Argument<string> LanguageArgument() => new("language") { Description = "Language tag, e.g. en, or und" };

    private static Argument<string> RefArgument() => new("ref")
    {
        Description = "Alias, version (v12 or 12) or digest (sha256:...); default: production",
        Arity = ArgumentArity.ZeroOrOne,
        DefaultValueFactory = _ => "",
    };

    private static Command Publish()
    {
        var file = new Argument<FileInfo>("file") { Description = "The bundle (.safetensors)" };
        var task = new Option<string?>("--task") { Description = "Route task (default: the bundle's)" };
        var language = new Option<string?>("--language") { Description = "Route language (default: the bundle's, und when it has none)" };
        var alias = new Option<string?>("--alias") { Description = "Point this alias at the new version (e.g. canary)" };
        var labels = new Option<string[]>("--label") { Description = "Free-form label key=value (repeatable)", AllowMultipleArgumentsPerToken = false };
        var command = new Command("publish", "Publish a mask bundle; prints the version") { file, task, language, alias, labels };
        command.SetAction((parse, ct) => RegistryConnection.RunAsync(parse, ct, async (client, headers) =>
        {
            var path = parse.GetValue(file)!.FullName;
            var bytes = await File.ReadAllBytesAsync(path, ct);
            var bundle = MaskBundle.Read(bytes);
            var metadata = new PublishMaskMetadata
            {
                Task = parse.GetValue(task) ?? bundle.Task,
                LanguageCode = parse.GetValue(language) ?? (bundle.Language.Length == 0 ? RouteNames.NoLanguage : bundle.Language),
                ExpectedDigest = "sha256:" + Sha256Digest.Of(bytes),
                SizeBytes = bytes.Length,
                SetAlias = parse.GetValue(alias) ?? "",
            };
            foreach (var label in parse.GetValue(labels) ?? [])
            {
                var eq = label.IndexOf('=');
                if (eq <= 0)
                {
                    await parse.InvocationConfiguration.Error.WriteLineAsync($"error: --label {label}: expected key=value");
                    return 2;
                }
                metadata.Labels[label[..eq]] = label[(eq + 1)..];
            }
            var reply = await client.PublishBundleAsync(metadata, bytes, new CallOptions(headers, cancellationToken: ct));
            parse.InvocationConfiguration.Output.WriteLine($"{(reply.Created ? "published" : "already published as")} {Describe(reply.Version)}");
            return 0;
        }));
        return command;
    }

    private static Command List()
    {
        var task = new Option<string?>("--task") { Description = "Only this task" };
        var language = new Option<string?>("--language") { Description = "Only this language (with --task: list that route's versions)" };
        var yanked = new Option<bool>("--include-yanked") { Description = "With --task and --language: show yanked versions too" };
        var command = new Command("list", "List routes, or the versions of one route (--task and --language)") { task, language, yanked };
        command.SetAction((parse, ct) => RegistryConnection.RunAsync(parse, ct, async (client, headers) =>
        {
            var (t, l) = (parse.GetValue(task) ?? "", parse.GetValue(language) ?? "");
            var token = "";
            do
            {
                if (t.Length > 0 && l.Length > 0)
                {
                    var page = await client.ListMaskVersionsAsync(new ListMaskVersionsRequest
                    {
                        Task = t, LanguageCode = l, IncludeYanked = parse.GetValue(yanked), PageToken = token,
                    }, headers, cancellationToken: ct);
                    page.Versions.ToList().ForEach(v => parse.InvocationConfiguration.Output.WriteLine(Describe(v)));
                    token = page.NextPageToken;
                }
                else
                {
                    var page = await client.ListMaskRoutesAsync(new ListMaskRoutesRequest { Task = t, LanguageCode = l, PageToken = token }, headers, cancellationToken: ct);
                    foreach (var r in page.Routes)
                    {
                        var aliases = string.Join(", ", r.Aliases.OrderBy(a => a.Key, StringComparer.Ordinal).Select(a => $"{a.Key}=v{a.Value}"));
                        parse.InvocationConfiguration.Output.WriteLine($"{r.Task}/{r.LanguageCode}  latest v{r.LatestVersion}  {r.VersionCount} versions  {aliases}");
                    }
                    token = page.NextPageToken;
                }
            }
            while (token.Length > 0);
            return 0;
        }));
        return command;
    }

    private static Command Show()
    {
        var (task, language, reference) = (TaskArgument(), LanguageArgument(), RefArgument());
        var command = new Command("show", "Print everything about one version as JSON") { task, language, reference };
        command.SetAction((parse, ct) => RegistryConnection.RunAsync(parse, ct, async (client, headers) =>
        {
            var reply = await client.ResolveMaskAsync(new ResolveMaskRequest { Task = parse.GetValue(task)!, LanguageCode = parse.GetValue(language)!, Ref = parse.GetValue(reference)! }, headers, cancellationToken: ct);
            parse.InvocationConfiguration.Output.WriteLine(new JsonFormatter(JsonFormatter.Settings.Default.WithIndentation()).Format(reply.Version));
            return 0;
        }));
        return command;
    }

    private static Command Resolve()
    {
        var (task, language, reference) = (TaskArgument(), LanguageArgument(), RefArgument());
        var command = new Command("resolve", "Resolve a ref to one version; prints 'vN sha256:...'") { task, language, reference };
        command.SetAction((parse, ct) => RegistryConnection.RunAsync(parse, ct, async (client, headers) =>
        {
            var reply = await client.ResolveMaskAsync(new ResolveMaskRequest { Task = parse.GetValue(task)!, LanguageCode = parse.GetValue(language)!, Ref = parse.GetValue(reference)! }, headers, cancellationToken: ct);
            parse.InvocationConfiguration.Output.WriteLine($"v{reply.Version.Version} {reply.Version.Digest}");
            return 0;
        }));
        return command;
    }

    private static Command Alias()
    {
        var (task, language) = (TaskArgument(), LanguageArgument());
        var alias = new Argument<string>("alias") { Description = "Alias name, e.g. production" };
        var version = new Argument<long>("version") { Description = "Version to point at (ignored with --delete)", Arity = ArgumentArity.ZeroOrOne };
        var expect = new Option<long?>("--expect") { Description = "Only if the alias points at this version now (0: absent)" };
        var delete = new Option<bool>("--delete") { Description = "Delete the alias instead" };
        var command = new Command("alias", "Point an alias at a version (compare-and-set with --expect), or delete it") { task, language, alias, version, expect, delete };
        command.SetAction((parse, ct) => RegistryConnection.RunAsync(parse, ct, async (client, headers) =>
        {
            var (t, l, a) = (parse.GetValue(task)!, parse.GetValue(language)!, parse.GetValue(alias)!);
            var expected = parse.GetValue(expect);
            if (parse.GetValue(delete))
            {
                var request = new DeleteAliasRequest { Task = t, LanguageCode = l, Alias = a };
                if (expected is { } e)
                {
                    request.ExpectedVersion = e;
                }
                var deleted = await client.DeleteAliasAsync(request, headers, cancellationToken: ct);
                parse.InvocationConfiguration.Output.WriteLine($"{t}/{l} {a} deleted (was v{deleted.PreviousVersion})");
                return 0;
            }
            var set = new SetAliasRequest { Task = t, LanguageCode = l, Alias = a, Version = parse.GetValue(version) };
            if (expected is { } x)
            {
                set.ExpectedVersion = x;
            }
            var reply = await client.SetAliasAsync(set, headers, cancellationToken: ct);
            parse.InvocationConfiguration.Output.WriteLine($"{t}/{l} {a}: v{reply.PreviousVersion} -> v{reply.Version.Version}");
            return 0;
        }));
        return command;
    }

    private static Command Yank()
    {
        var (task, language) = (TaskArgument(), LanguageArgument());
        var version = new Argument<long>("version") { Description = "Version to yank" };
        var reason = new Option<string?>("--reason") { Description = "Why (required when yanking)" };
        var undo = new Option<bool>("--undo") { Description = "Unyank instead" };
        var command = new Command("yank", "Hide a version from alias resolution (still downloadable by digest)") { task, language, version, reason, undo };
        command.SetAction((parse, ct) => RegistryConnection.RunAsync(parse, ct, async (client, headers) =>
        {
            var reply = await client.YankMaskVersionAsync(new YankMaskVersionRequest
            {
                Task = parse.GetValue(task)!, LanguageCode = parse.GetValue(language)!, Version = parse.GetValue(version),
                Reason = parse.GetValue(reason) ?? "", Unyank = parse.GetValue(undo),
            }, headers, cancellationToken: ct);
            parse.InvocationConfiguration.Output.WriteLine(Describe(reply.Version));
            return 0;
        }));
        return command;
    }

    private static Command Download()
    {
        var (task, language, reference) = (TaskArgument(), LanguageArgument(), RefArgument());
        var output = new Option<FileInfo>("--output", "-o") { Description = "Where to write the bundle", Required = true };
        var command = new Command("download", "Download a bundle; the digest is checked before the file is kept") { task, language, reference, output };
        command.SetAction((parse, ct) => RegistryConnection.RunAsync(parse, ct, async (client, headers) =>
        {
            var target = parse.GetValue(output)!.FullName;
            var partial = target + ".part";
            using var call = client.DownloadMask(new DownloadMaskRequest { Task = parse.GetValue(task)!, LanguageCode = parse.GetValue(language)!, Ref = parse.GetValue(reference)! }, headers, cancellationToken: ct);
            MaskVersion? version = null;
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            await using (var file = File.Create(partial))
            {
                await foreach (var message in call.ResponseStream.ReadAllAsync(ct))
                {
                    if (message.ContentCase == DownloadMaskResponse.ContentOneofCase.Version)
                    {
                        version = message.Version;
                        continue;
                    }
                    hash.AppendData(message.Chunk.Span);
                    await file.WriteAsync(message.Chunk.Memory, ct);
                }
            }
            var digest = "sha256:" + Convert.ToHexStringLower(hash.GetHashAndReset());
            if (version is null || digest != version.Digest)
            {
                File.Delete(partial);
                await parse.InvocationConfiguration.Error.WriteLineAsync($"error: the download hashes to {digest}, expected {version?.Digest}; nothing was written");
                return 1;
            }
            File.Move(partial, target, overwrite: true);
            parse.InvocationConfiguration.Output.WriteLine($"{Describe(version)} -> {target}");
            return 0;
        }));
        return command;
    }

    private static Command Watch()
    {
        var after = new Option<long?>("--after") { Description = "Replay events after this revision first (default: only new ones)" };
        var task = new Option<string?>("--task") { Description = "Only this task" };
        var language = new Option<string?>("--language") { Description = "Only this language" };
        var command = new Command("watch", "Print registry changes as they happen (Ctrl-C to stop)") { after, task, language };
        command.SetAction((parse, ct) => RegistryConnection.RunAsync(parse, ct, async (client, headers) =>
        {
            var request = new WatchMasksRequest { Task = parse.GetValue(task) ?? "", LanguageCode = parse.GetValue(language) ?? "" };
            if (parse.GetValue(after) is { } revision)
            {
                request.AfterRevision = revision;
            }
            using var call = client.WatchMasks(request, headers, cancellationToken: ct);
            try
            {
                await foreach (var message in call.ResponseStream.ReadAllAsync(ct))
                {
                    var e = message.Event;
                    var alias = e.Alias.Length > 0 ? $" {e.Alias}" : "";
                    parse.InvocationConfiguration.Output.WriteLine($"{e.Revision} {e.Time.ToDateTime():u} {e.Type} {e.Task}/{e.LanguageCode}{alias} v{e.Version} {e.Digest}");
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                // Ctrl-C: a normal way to stop watching
            }
            return 0;
        }));
        return command;
    }

    private static string Describe(MaskVersion v)
    {
        var aliases = v.Aliases.Count > 0 ? $" [{string.Join(", ", v.Aliases)}]" : "";
        var yanked = v.Yanked ? $" YANKED ({v.YankReason})" : "";
        return $"{v.Task}/{v.LanguageCode} v{v.Version} {v.Digest} {v.SizeBytes:N0} bytes {v.CreateTime.ToDateTime():u} {v.Creator}{aliases}{yanked}";
    }
}
