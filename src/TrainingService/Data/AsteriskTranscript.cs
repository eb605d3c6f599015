namespace S3Router.TrainingService.Data;

/// <summary>One line of an Asterisk transcript list: <c>digits/1: One.</c></summary>
/// <param name="Name">The prompt name, a path below the voice folder without extension (<c>digits/1</c>).</param>
/// <param name="Text">The transcript as written, trimmed.</param>
internal sealed record AsteriskTranscript(string Name, string Text);
