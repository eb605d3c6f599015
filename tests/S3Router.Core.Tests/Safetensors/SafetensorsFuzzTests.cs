using System.Buffers.Binary;
using System.Text;
using S3Router.Core.Safetensors;

namespace S3Router.Core.Tests.Safetensors;

/// <summary>
/// Seeded mutations of valid files: whatever the damage, opening either succeeds (the file is still valid) or throws
/// <see cref="SafetensorsFormatException"/>; never an IndexOutOfRange, Overflow or JSON exception.
/// </summary>
public sealed class SafetensorsFuzzTests
{
    private const string HeaderAlphabet = "{}[]\",:-+.0123456789eE aF3216UIBLOdtypshaeofs_\\u";

    private static readonly string[] NumberEdits =
        ["-1", "0", "1", "7", "4294967296", "9223372036854775807", "99999999999999999999", "1.5", "1e3", "-0", "null", "\"3\""];

    public enum Mutation
    {
        Truncate,
        FlipHeaderBits,
        EditNumber,
        DeleteSpan,
        InsertCharacters,
        CorruptLengthPrefix,
    }

    [Theory]
    [InlineData(Mutation.Truncate, 1)]
    [InlineData(Mutation.FlipHeaderBits, 2)]
    [InlineData(Mutation.EditNumber, 3)]
    [InlineData(Mutation.DeleteSpan, 4)]
    [InlineData(Mutation.InsertCharacters, 5)]
    [InlineData(Mutation.CorruptLengthPrefix, 6)]
    public void FromBytes_MutatedFiles_OnlyEverThrowFormatErrors(Mutation mutation, int seed)
    {
        var random = new Random(seed);
        var failures = new List<string>();
        var (valid, invalid) = (0, 0);
        for (var i = 0; i < 150; i++)
        {
            var original = ValidFiles[random.Next(ValidFiles.Length)];
            var mutated = Mutate(original, mutation, random);
            try
            {
                using var file = SafetensorsFile.FromBytes(mutated);
                ReadEverything(file);
                valid++;
            }
            catch (SafetensorsFormatException)
            {
                invalid++;
            }
            catch (Exception e)
            {
                failures.Add($"case {i}: {e.GetType().Name}: {e.Message} on {Describe(mutated)}");
            }
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures.Take(5)));
        Assert.True(invalid > 0, "no mutation was rejected: the fuzzer does not reach the validation");
        Assert.Equal(150, valid + invalid);
    }

    [Fact]
    public void Open_MutatedFiles_OnlyEverThrowFormatErrors()
    {
        var random = new Random(7);
        var directory = Directory.CreateTempSubdirectory("safetensors-fuzz").FullName;
        try
        {
            var rejected = 0;
            for (var i = 0; i < 60; i++)
            {
                var mutation = (Mutation)(i % Enum.GetValues<Mutation>().Length);
                var path = Path.Combine(directory, $"{i}.safetensors");
                File.WriteAllBytes(path, Mutate(ValidFiles[i % ValidFiles.Length], mutation, random));
                try
                {
                    using var file = SafetensorsFile.Open(path);
                    ReadEverything(file);
                }
                catch (SafetensorsFormatException)
                {
                    rejected++;
                }
            }

            Assert.True(rejected > 0);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static readonly byte[][] ValidFiles =
    [
        new SafetensorsWriter()
            .AddFloat32("encoder.layers.0.fc1.weight", [4, 3], Enumerable.Range(0, 12).Select(i => (float)i).ToArray())
            .AddFloat32("encoder.layers.0.fc1.bias", [4], [1f, 2f, 3f, 4f])
            .SetMetadata("format", "pt")
            .ToArray(),
        new SafetensorsWriter()
            .Add("mask", SafetensorsDtype.U8, [3], [1, 2, 3])
            .Add("half", SafetensorsDtype.F16, [2, 2], new byte[8])
            .Add("brain", SafetensorsDtype.BF16, [2], [0, 0x3f, 0, 0xc0])
            .Add("ids", SafetensorsDtype.I64, [1], new byte[8])
            .Add("scalar", SafetensorsDtype.F64, [], new byte[8])
            .Add("empty", SafetensorsDtype.I32, [0, 5], [])
            .SetMetadata("a", "{\"json\": [1, 2]}")
            .ToArray(),
        RawSafetensors.Build(
            "{\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]},\"a\":{\"dtype\":\"I8\",\"shape\":[4],\"data_offsets\":[0,4]}}",
            12),
    ];

    private static void ReadEverything(SafetensorsFile file)
    {
        var writer = new SafetensorsWriter();
        foreach (var (name, info) in file.Tensors)
        {
            var bytes = file.GetBytes(name);
            Assert.Equal(info.ByteLength, bytes.Length);
            if (info.Dtype is SafetensorsDtype.F32 or SafetensorsDtype.F16 or SafetensorsDtype.BF16 or SafetensorsDtype.F64)
            {
                Assert.Equal(info.ElementCount, file.ReadFloat32(name).Length);
            }

            writer.Add(name, info.Dtype, info.Shape, bytes);
        }

        // Whatever was accepted can be written back and read again with the same tensors.
        using var copy = SafetensorsFile.FromBytes(writer.ToArray());
        Assert.Equal(file.Tensors.Keys.Order(StringComparer.Ordinal), copy.Tensors.Keys.Order(StringComparer.Ordinal));
    }

    private static byte[] Mutate(byte[] original, Mutation mutation, Random random)
    {
        var headerLength = (int)BinaryPrimitives.ReadUInt64LittleEndian(original);
        var header = Encoding.UTF8.GetString(original, 8, headerLength);
        var data = original[(8 + headerLength)..];
        switch (mutation)
        {
            case Mutation.Truncate:
                return original[..random.Next(original.Length)];
            case Mutation.FlipHeaderBits:
                var flipped = (byte[])original.Clone();
                for (var flips = random.Next(1, 4); flips > 0; flips--)
                {
                    var index = 8 + random.Next(headerLength);
                    flipped[index] ^= (byte)(1 << random.Next(8));
                }

                return flipped;
            case Mutation.EditNumber:
                var digits = Enumerable.Range(0, header.Length).Where(i => char.IsAsciiDigit(header[i])).ToArray();
                var at = digits[random.Next(digits.Length)];
                var end = at;
                while (end < header.Length && char.IsAsciiDigit(header[end]))
                {
                    end++;
                }

                var edited = header[..at] + NumberEdits[random.Next(NumberEdits.Length)] + header[end..];
                return RawSafetensors.Build(Encoding.UTF8.GetBytes(edited), data);
            case Mutation.DeleteSpan:
                var start = random.Next(header.Length);
                var length = random.Next(1, Math.Min(12, header.Length - start) + 1);
                return RawSafetensors.Build(Encoding.UTF8.GetBytes(header.Remove(start, length)), data);
            case Mutation.InsertCharacters:
                var inserted = new string(Enumerable.Range(0, random.Next(1, 4))
                    .Select(_ => HeaderAlphabet[random.Next(HeaderAlphabet.Length)]).ToArray());
                return RawSafetensors.Build(Encoding.UTF8.GetBytes(header.Insert(random.Next(header.Length + 1), inserted)), data);
            case Mutation.CorruptLengthPrefix:
                var prefixed = (byte[])original.Clone();
                prefixed[random.Next(8)] = (byte)random.Next(256);
                return prefixed;
            default:
                throw new ArgumentOutOfRangeException(nameof(mutation));
        }
    }

    private static string Describe(byte[] bytes) =>
        bytes.Length < 8 ? Convert.ToHexString(bytes) : Encoding.UTF8.GetString(bytes, 8, Math.Min(bytes.Length - 8, 300));
}
