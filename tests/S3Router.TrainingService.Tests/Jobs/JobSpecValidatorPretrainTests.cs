using S3Router.Api.V1;
using S3Router.Core.Errors;
using S3Router.TrainingService.Jobs;

namespace S3Router.TrainingService.Tests.Jobs;

public sealed class JobSpecValidatorPretrainTests
{
    [Fact]
    public void Validate_MissingTargetsBackbone_NamesTheField()
    {
        // Arrange
        var spec = new JobSpec
        {
            Kind = JobKind.Pretrain,
            Pretrain = new PretrainSpec { TargetsBackbonePath = Path.Combine(Path.GetTempPath(), "s3r-no-such-backbone"), TargetsLayer = 2 },
        };

        // Act
        var error = Assert.Throws<InvalidInputException>(() => JobSpecValidator.Validate(spec));

        // Assert
        var violation = Assert.Single(error.Violations, v => v.Field == "spec.pretrain.targets_backbone_path");
        Assert.Contains("does not exist", violation.Description, StringComparison.Ordinal);
    }
}
