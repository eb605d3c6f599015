using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace S3Router.Bench;

/// <summary>bench/backbone_pytorch.py as a long-lived process, so its runs interleave with the .NET engines'.</summary>
internal sealed class PythonWorker : IDisposable
{
    private readonly Process _process;

    private PythonWorker(Process process) => _process = process;

    public static PythonWorker Start(string script, int threads)
    {
        var start = new ProcessStartInfo("/usr/bin/python3")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(script);
        start.ArgumentList.Add("--threads");
        start.ArgumentList.Add(threads.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var text = threads.ToString(System.Globalization.CultureInfo.InvariantCulture);
        start.Environment["OMP_NUM_THREADS"] = text;
        start.Environment["OPENBLAS_NUM_THREADS"] = text;
        return new PythonWorker(Process.Start(start) ?? throw new InvalidOperationException("python3 did not start"));
    }

    public JsonNode Ask(object request)
    {
        _process.StandardInput.WriteLine(JsonSerializer.Serialize(request));
        _process.StandardInput.Flush();
        var line = _process.StandardOutput.ReadLine() ?? throw new InvalidOperationException("the PyTorch worker exited (see stderr)");
        var reply = JsonNode.Parse(line)!;
        if (reply["error"] is { } error)
        {
            throw new InvalidOperationException($"PyTorch worker: {error}");
        }

        return reply;
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.StandardInput.WriteLine("{\"cmd\": \"quit\"}");
            _process.StandardInput.Flush();
            _process.WaitForExit(10_000);
        }

        _process.Dispose();
    }
}
