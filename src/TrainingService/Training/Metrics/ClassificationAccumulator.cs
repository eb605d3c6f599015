namespace S3Router.TrainingService.Training.Metrics;

/// <summary>
/// Accuracy and macro-F1 over class names. Macro-F1 averages the per-class F1 = 2·TP / (2·TP + FP + FN) over every
/// class seen as a reference or a prediction (a class never predicted correctly scores 0), as scikit-learn does.
/// </summary>
internal sealed class ClassificationAccumulator
{
    private readonly Dictionary<string, (int TruePositive, int FalsePositive, int FalseNegative)> _perClass = new(StringComparer.Ordinal);
    private int _correct;

    public int Count { get; private set; }

    /// <summary>Fraction of correct predictions (0 when empty).</summary>
    public double Accuracy => Count == 0 ? 0 : (double)_correct / Count;

    /// <summary>Unweighted mean of per-class F1 (0 when empty).</summary>
    public double MacroF1 => _perClass.Count == 0
        ? 0
        : _perClass.Values.Average(c => 2.0 * c.TruePositive / ((2.0 * c.TruePositive) + c.FalsePositive + c.FalseNegative));

    public void Add(string reference, string predicted)
    {
        Count++;
        if (reference == predicted)
        {
            _correct++;
            Update(reference, tp: 1, fp: 0, fn: 0);
            return;
        }

        Update(reference, tp: 0, fp: 0, fn: 1);
        Update(predicted, tp: 0, fp: 1, fn: 0);
    }

    private void Update(string name, int tp, int fp, int fn)
    {
        var (t, p, n) = _perClass.GetValueOrDefault(name);
        _perClass[name] = (t + tp, p + fp, n + fn);
    }
}
