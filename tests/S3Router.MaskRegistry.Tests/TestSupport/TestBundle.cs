using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace S3Router.MaskRegistry.Tests.TestSupport;

/// <summary>A stand-in bundle format for tests (JSON), read by <see cref="JsonBundleInspector"/>.</summary>
public sealed record TestBundle(string Task, string Language, string Backbone, TestTensor[] Tensors, string Nonce, string Padding = "")
{
    public const string FfnName = "encoder.layers.0.feed_forward.intermediate_dense.weight";
    public static readonly long[] FfnShape = [16, 8];

    public static TestBundle For(string backbone, string task = "asr", string language = "en", int paddingBytes = 0) =>
        new(task, language, backbone, [new TestTensor(FfnName, FfnShape, 0.9)], Guid.NewGuid().ToString("N"), new string('x', paddingBytes));

    public byte[] ToBytes() => Encoding.UTF8.GetBytes(JsonSerializer.Serialize(this));

    public static string DigestOf(byte[] bytes) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(bytes));
}

public sealed record TestTensor(string Name, long[] Shape, double Keep);
