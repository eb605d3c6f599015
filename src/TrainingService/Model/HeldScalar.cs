using System.Collections.Concurrent;
using TorchSharp;

namespace S3Router.TrainingService.Model;

/// <summary>
/// TorchSharp Scalars that live as long as the process. An implicit number-to-Scalar temporary is unreachable once its
/// handle is read, so the GC may finalize it while libtorch still reads it: a use-after-free seen as "Unknown scalar
/// type" or "Expected false to be true" from c10::Scalar, once every few thousand steps when training allocates
/// heavily. The per-step paths pass these instead; each distinct value is created once. TorchSharp's own square()
/// is pow(2) with such a temporary: write x * x instead. The S3Router.Analyzers build step (S3R0001, S3R0002) reports
/// both in this project as build errors.
/// </summary>
internal static class HeldScalar
{
    private static readonly ConcurrentDictionary<double, Scalar> Doubles = new();
    private static readonly ConcurrentDictionary<long, Scalar> Longs = new();

    /// <summary>A double Scalar (promotes integer tensors to floating point, as a C# double would).</summary>
    public static Scalar Of(double value) => Doubles.GetOrAdd(value, v => v.ToScalar());

    /// <summary>An integer Scalar (keeps integer tensors integral).</summary>
    public static Scalar Of(long value) => Longs.GetOrAdd(value, v => v.ToScalar());
}
