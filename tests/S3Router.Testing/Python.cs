using System.Diagnostics;

namespace S3Router.Testing;

/// <summary>Runs Debian's /usr/bin/python3 (torch 1.13, torchaudio, onnx, numpy); a non-zero exit throws with its stderr.</summary>
public static class Python
{
    /// <summary>The interpreter: Debian's, not a venv's <c>python3</c> on PATH.</summary>
    public const string Interpreter = "/usr/bin/python3";

    /// <summary>Runs the interpreter with <paramref name="arguments"/> and returns its stdout (at most 2 minutes).</summary>
    public static string Run(params string[] arguments)
    {
        var start = new ProcessStartInfo(Interpreter)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("python3 did not start.");
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("python3 ran for more than 2 minutes.");
        }

        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"python3 exited with {process.ExitCode}: {stderr.Result}");
        }

        return stdout;
    }

    /// <summary>onnx.checker.check_model with full shape inference; returns "ok IR OPSET".</summary>
    public static string CheckOnnxModel(string path) => Run(
        "-c",
        "import onnx, sys\n" +
        "m = onnx.load(sys.argv[1])\n" +
        "onnx.checker.check_model(m, full_check=True)\n" +
        "print('ok', m.ir_version, m.opset_import[0].version)",
        path).Trim();
}
