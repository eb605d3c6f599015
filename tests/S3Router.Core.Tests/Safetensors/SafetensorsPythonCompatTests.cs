using System.Runtime.InteropServices;
using S3Router.Core.Safetensors;
using S3Router.Testing;

namespace S3Router.Core.Tests.Safetensors;

/// <summary>
/// Cross-checks with Debian's python. The <c>safetensors</c> pip package is not installed there, so the python side
/// writes and reads the format by hand with struct, json and numpy, following the published specification.
/// </summary>
public sealed class SafetensorsPythonCompatTests : IDisposable
{
    private const string WriterScript = """
        import json, struct, sys
        import numpy as np
        f32 = (np.arange(6, dtype=np.float32) * 0.25).reshape(2, 3)
        f16 = np.array([1.0, -2.5, 0.5], dtype=np.float16)
        bf16 = (np.array([1.0, 3.140625, -0.5], dtype=np.float32).view(np.uint32) >> 16).astype(np.uint16)
        tensors = [
            ("layer.weight", "F32", [2, 3], f32.tobytes()),
            ("half", "F16", [3], f16.tobytes()),
            ("brain", "BF16", [3], bf16.tobytes()),
            ("bytes", "U8", [3], np.array([0, 1, 255], dtype=np.uint8).tobytes()),
            ("ids", "I64", [2], np.array([-1, 2**40], dtype=np.int64).tobytes()),
            ("scalar", "F32", [], np.array(7.0, dtype=np.float32).tobytes()),
            ("flags", "BOOL", [2], np.array([True, False]).tobytes()),
            ("empty", "F32", [0, 2], b""),
        ]
        header, data = {"__metadata__": {"format": "pt", "note": "\u00e9t\u00e9"}}, b""
        for name, dtype, shape, raw in tensors:
            header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(data), len(data) + len(raw)]}
            data += raw
        blob = json.dumps(header).encode("utf-8")
        with open(sys.argv[1], "wb") as f:
            f.write(struct.pack("<Q", len(blob)) + blob + data)
        """;

    private const string ReaderScript = """
        import json, struct, sys
        import numpy as np
        raw = open(sys.argv[1], "rb").read()
        (n,) = struct.unpack("<Q", raw[:8])
        assert (8 + n) % 8 == 0, "header not padded"
        header = json.loads(raw[8:8 + n].decode("utf-8"))
        data = raw[8 + n:]
        meta = header.pop("__metadata__")
        assert meta == {"task": "asr"}, meta
        spans = sorted(v["data_offsets"] for v in header.values())
        assert spans[0][0] == 0 and spans[-1][1] == len(data), spans
        assert all(a[1] == b[0] for a, b in zip(spans, spans[1:])), spans
        types = {"F32": np.float32, "F16": np.float16, "I64": np.int64, "U8": np.uint8}
        def load(name):
            info = header[name]
            b, e = info["data_offsets"]
            return np.frombuffer(data[b:e], dtype=types[info["dtype"]]).reshape(info["shape"])
        assert load("w").tolist() == [[0.5, -1.0], [2.0, 4.5]]
        assert load("h").tolist() == [0.5, -0.25]
        assert load("ids").tolist() == [3, -2**50]
        assert load("mask").tolist() == [1, 3]
        assert load("s").shape == () and float(load("s")) == 2.0
        print("ok")
        """;

    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Open_FileWrittenByPython_ReadsEveryTensorAndMetadata()
    {
        var path = Path.Combine(_temp.Path, "python.safetensors");
        RunPython(WriterScript, path);

        using var file = SafetensorsFile.Open(path);

        Assert.Equal(new[] { 0f, 0.25f, 0.5f, 0.75f, 1f, 1.25f }, file.ReadFloat32("layer.weight"));
        Assert.Equal([2L, 3L], file.Tensors["layer.weight"].Shape);
        Assert.Equal(new[] { 1f, -2.5f, 0.5f }, file.ReadFloat32("half"));
        Assert.Equal(new[] { 1f, 3.140625f, -0.5f }, file.ReadFloat32("brain"));
        Assert.Equal(new byte[] { 0, 1, 255 }, file.GetBytes("bytes").ToArray());
        Assert.Equal(new[] { -1L, 1L << 40 }, MemoryMarshal.Cast<byte, long>(file.GetBytes("ids")).ToArray());
        Assert.Empty(file.Tensors["scalar"].Shape);
        Assert.Equal(new[] { 7f }, file.ReadFloat32("scalar"));
        Assert.Equal(new byte[] { 1, 0 }, file.GetBytes("flags").ToArray());
        Assert.Empty(file.ReadFloat32("empty"));
        Assert.Equal("été", file.Metadata["note"]);
        Assert.Equal("pt", file.Metadata["format"]);
    }

    [Fact]
    public void WriteToFile_ReadByPython_MatchesValues()
    {
        var path = Path.Combine(_temp.Path, "dotnet.safetensors");
        new SafetensorsWriter()
            .AddFloat32("w", [2, 2], [0.5f, -1f, 2f, 4.5f])
            .Add("h", SafetensorsDtype.F16, [2], [.. BitConverter.GetBytes((Half)0.5f), .. BitConverter.GetBytes((Half)(-0.25f))])
            .Add("ids", SafetensorsDtype.I64, [2], [.. BitConverter.GetBytes(3L), .. BitConverter.GetBytes(-(1L << 50))])
            .Add("mask", SafetensorsDtype.U8, [2], [1, 3])
            .AddFloat32("s", [], [2f])
            .SetMetadata("task", "asr")
            .WriteToFile(path);

        var output = RunPython(ReaderScript, path);

        Assert.Equal("ok", output.Trim());
    }

    private static string RunPython(string script, string argument) => Python.Run("-c", script, argument);
}
