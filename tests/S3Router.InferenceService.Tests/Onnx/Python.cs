using System.Diagnostics;

namespace S3Router.InferenceService.Tests.Onnx;

/// <summary>Runs Debian's /usr/bin/python3 (torch, torchaudio, onnx, numpy) and fails the test with its stderr.</summary>
internal static class Python
{
    private const string Interpreter = "/usr/bin/python3";

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

        Assert.True(process.ExitCode == 0, $"python3 exited with {process.ExitCode}: {stderr.Result}");
        return stdout;
    }

    /// <summary>onnx.checker.check_model with full shape inference; returns its verdict line.</summary>
    public static string CheckModel(string path) => Run(
        "-c",
        "import onnx, sys\n" +
        "m = onnx.load(sys.argv[1])\n" +
        "onnx.checker.check_model(m, full_check=True)\n" +
        "print('ok', m.ir_version, m.opset_import[0].version)",
        path).Trim();
}
