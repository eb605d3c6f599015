using S3Router.TrainingService.Training.Metrics;

namespace S3Router.TrainingService.Tests.Training.Metrics;

public sealed class ClassificationAccumulatorTests
{
    [Fact]
    public void Add_KnownConfusions_GivesAccuracyAndMacroF1()
    {
        // Arrange: a: TP 2, FN 1; b: TP 1, FP 1; c: FP 0, FN 0 except one c -> a error.
        var metrics = new ClassificationAccumulator();
        (string Reference, string Predicted)[] pairs = [("a", "a"), ("a", "a"), ("a", "b"), ("b", "b"), ("c", "a")];

        // Act
        foreach (var (reference, predicted) in pairs)
        {
            metrics.Add(reference, predicted);
        }

        // Assert: F1(a) = 4/(4+1+1) = 2/3, F1(b) = 2/(2+1+0) = 2/3, F1(c) = 0.
        Assert.Equal(3.0 / 5, metrics.Accuracy, 12);
        Assert.Equal(((2.0 / 3) + (2.0 / 3) + 0) / 3, metrics.MacroF1, 12);
    }

    [Fact]
    public void Add_AllCorrect_GivesOneAndOne()
    {
        // Arrange
        var metrics = new ClassificationAccumulator();

        // Act
        metrics.Add("x", "x");
        metrics.Add("y", "y");

        // Assert
        Assert.Equal(1.0, metrics.Accuracy);
        Assert.Equal(1.0, metrics.MacroF1);
    }
}
