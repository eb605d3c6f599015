using S3Router.TrainingService.Training;
using S3Router.TrainingService.Training.Data;

namespace S3Router.TrainingService.Tests.Training;

/// <summary>How <c>S3R_FEATURE_CACHE_MIB</c> sets a head job's feature cache budget.</summary>
public sealed class FeatureCacheBudgetTests
{
    [Theory]
    [InlineData("512", 512L << 20)]
    [InlineData("16384", 16384L << 20)]
    [InlineData(null, FrozenFeatures.DefaultBudgetBytes)]
    [InlineData("", FrozenFeatures.DefaultBudgetBytes)]
    [InlineData("0", FrozenFeatures.DefaultBudgetBytes)]
    [InlineData("-1", FrozenFeatures.DefaultBudgetBytes)]
    [InlineData("1.5", FrozenFeatures.DefaultBudgetBytes)]
    [InlineData("2 GiB", FrozenFeatures.DefaultBudgetBytes)]
    [InlineData("99999999999999999999", FrozenFeatures.DefaultBudgetBytes)]
    public void FeatureCacheBytes_Value_MebibytesOrTheDefault(string? value, long expected) =>
        Assert.Equal(expected, JobRunner.FeatureCacheBytes(value));
}
