using System.CommandLine;
using Google.Protobuf;
using S3Router.Api.V1;
using Spectre.Console;

namespace S3Router.Cli.Commands;

/// <summary>
/// <c>s3r recognize FILE --task asr --language en [--route speaker/und] ...</c>: one Recognize call (to the gateway
/// by default) with one or more routes on the same audio, printed as a table.
/// </summary>
internal static class RecognizeCommand
{
    public static Command Create()
    {
        var audio = new Argument<FileInfo>("audio") { Description = "Audio file (WAV, or headerless with --encoding and --sample-rate)" };
        var target = new Option<string>("--target") { Description = "gRPC address of the gateway (or an inference pod)", DefaultValueFactory = _ => "http://localhost:50051" };
        var apiKey = new Option<string?>("--api-key") { Description = "API key (default: $S3R_API_KEY)", DefaultValueFactory = _ => Environment.GetEnvironmentVariable("S3R_API_KEY") };
        var task = new Option<string>("--task") { Description = "Task of the primary route", DefaultValueFactory = _ => "asr" };
        var language = new Option<string>("--language") { Description = "Language of the primary route (BCP-47 or und)", DefaultValueFactory = _ => "en" };
        var maskRef = new Option<string>("--ref") { Description = "Mask version of the primary route: alias, version or sha256:digest", DefaultValueFactory = _ => "" };
        var routes = new Option<string[]>("--route") { Description = "More routes on the same audio, as task/language[@ref] (repeatable)", AllowMultipleArgumentsPerToken = false };
        var encoding = new Option<AudioEncoding>("--encoding") { Description = "Encoding of headerless audio", DefaultValueFactory = _ => AudioEncoding.Unspecified };
        var sampleRate = new Option<int>("--sample-rate") { Description = "Sample rate of headerless audio, in Hz" };
        var alternatives = new Option<int>("--alternatives") { Description = "ASR alternatives to return (n-best)", DefaultValueFactory = _ => 1 };
        var words = new Option<bool>("--words") { Description = "Return word time offsets" };
        var classes = new Option<int>("--classes") { Description = "Classes to return per classifier route", DefaultValueFactory = _ => 3 };
        var command = new Command("recognize", "Recognize one utterance on one or more routes")
        {
            audio, target, apiKey, task, language, maskRef, routes, encoding, sampleRate, alternatives, words, classes,
        };
        command.SetAction(async (parse, ct) =>
        {
            var request = new RecognizeRequest
            {
                Task = parse.GetValue(task)!,
                LanguageCode = parse.GetValue(language)!,
                MaskRef = parse.GetValue(maskRef)!,
                Audio = new RecognitionAudio { Content = ByteString.CopyFrom(await File.ReadAllBytesAsync(parse.GetValue(audio)!.FullName, ct)) },
                Config = new RecognitionConfig
                {
                    Encoding = parse.GetValue(encoding),
                    SampleRateHertz = parse.GetValue(sampleRate),
                    MaxAlternatives = parse.GetValue(alternatives),
                    EnableWordTimeOffsets = parse.GetValue(words),
                    MaxClasses = parse.GetValue(classes),
                },
            };
            foreach (var route in parse.GetValue(routes) ?? [])
            {
                request.AdditionalRoutes.Add(ParseRoute(route));
            }
            return await GrpcCommand.RunAsync(parse, parse.GetValue(target)!, parse.GetValue(apiKey), ct, async (channel, headers) =>
            {
                var reply = await new Speech.SpeechClient(channel).RecognizeAsync(request, headers, cancellationToken: ct);
                Print(OutputConsole.Create(parse), reply);
                return 0;
            });
        });
        return command;
    }

    /// <summary>Parses <c>task/language[@ref]</c>.</summary>
    internal static RouteSelector ParseRoute(string text)
    {
        var at = text.IndexOf('@', StringComparison.Ordinal);
        var route = at < 0 ? text : text[..at];
        var slash = route.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0 || slash == route.Length - 1)
        {
            throw new ArgumentException($"--route '{text}' is not task/language[@ref], e.g. speaker/und or intent/en@canary");
        }
        return new RouteSelector { Task = route[..slash], LanguageCode = route[(slash + 1)..], MaskRef = at < 0 ? "" : text[(at + 1)..] };
    }

    private static void Print(IAnsiConsole console, RecognizeResponse reply)
    {
        var table = new Table().AddColumns("route", "version", "result", "score");
        foreach (var result in reply.Results)
        {
            var route = $"{result.Route.Task}/{result.Route.LanguageCode}";
            var version = $"v{result.Route.Version}";
            if (result.ResultCase == RouteResult.ResultOneofCase.Speech)
            {
                foreach (var alt in result.Speech.Alternatives)
                {
                    var words = alt.Words.Count == 0 ? "" : "\n" + string.Join(" ", alt.Words.Select(w =>
                        $"{w.Word}[{w.StartTime.ToTimeSpan().TotalSeconds:0.00}-{w.EndTime.ToTimeSpan().TotalSeconds:0.00}]"));
                    table.AddRow(Markup.Escape(route), version, Markup.Escape(alt.Transcript + words), $"{alt.Confidence:0.00}");
                }
            }
            else
            {
                foreach (var c in result.Classification.Classes)
                {
                    table.AddRow(Markup.Escape(route), version, Markup.Escape(c.ClassName), $"{c.Score:0.00}");
                }
            }
        }
        console.Write(table);
    }
}
