using System.Globalization;

namespace S3Router.TrainingService.Training.Pretraining;

/// <summary>
/// The per-step loss of a pretraining job as CSV (<c>step,loss,masked_accuracy,learning_rate</c>), appended as it
/// trains. On resume the rows past the checkpoint step are dropped, so the file always matches the model.
/// </summary>
internal sealed class LossLog
{
    private const string Header = "step,loss,masked_accuracy,learning_rate";

    private readonly string _path;

    public LossLog(string path, long resumeStep)
    {
        _path = path;
        var kept = File.Exists(path)
            ? File.ReadAllLines(path).Skip(1).Where(l => long.TryParse(l.Split(',')[0], CultureInfo.InvariantCulture, out var s) && s <= resumeStep).ToList()
            : [];
        File.WriteAllLines(path, [Header, .. kept]);
    }

    public void Append(long step, double loss, double accuracy, double learningRate) =>
        File.AppendAllText(_path, string.Create(CultureInfo.InvariantCulture, $"{step},{loss:G6},{accuracy:G6},{learningRate:G6}\n"));

    /// <summary>The (step, loss, masked accuracy) rows of a loss CSV.</summary>
    public static IReadOnlyList<(long Step, double Loss, double Accuracy)> Read(string path) =>
        File.ReadAllLines(path).Skip(1)
            .Select(l => l.Split(','))
            .Where(f => f.Length >= 3)
            .Select(f => (long.Parse(f[0], CultureInfo.InvariantCulture), double.Parse(f[1], CultureInfo.InvariantCulture), double.Parse(f[2], CultureInfo.InvariantCulture)))
            .ToList();
}
