using S3Router.Core.Errors;

namespace S3Router.Core.Tests.Errors;

public sealed class InvalidInputExceptionTests
{
    [Fact]
    public void ThrowIfAny_NoViolation_Returns()
    {
        InvalidInputException.ThrowIfAny([]);
    }

    [Fact]
    public void ThrowIfAny_Violations_ThrowsAllWithPrefixedMessage()
    {
        FieldViolation[] violations = [new("task", "is required"), new("language_code", "is bad")];

        var error = Assert.Throws<InvalidInputException>(() => InvalidInputException.ThrowIfAny(violations, "the spec is invalid: "));

        Assert.Equal("the spec is invalid: task: is required; language_code: is bad", error.Message);
        Assert.Equal(violations, error.Violations);
    }
}
