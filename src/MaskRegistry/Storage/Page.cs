namespace S3Router.MaskRegistry.Storage;

/// <summary>One page of a listing and the token for the next one ("" when it was the last).</summary>
internal sealed record Page<T>(IReadOnlyList<T> Items, string NextPageToken);
