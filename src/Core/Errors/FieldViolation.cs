namespace S3Router.Core.Errors;

/// <summary>One bad field of a request or artifact: its path (e.g. <c>config.sample_rate_hertz</c>) and what is wrong.</summary>
public readonly record struct FieldViolation(string Field, string Description);
