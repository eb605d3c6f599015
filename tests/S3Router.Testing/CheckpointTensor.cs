namespace S3Router.Testing;

/// <summary>A float32 checkpoint tensor, row-major, with its shape.</summary>
public sealed record CheckpointTensor(float[] Data, long[] Shape);
