using System.Runtime.InteropServices;
using Google.Protobuf;
using S3Router.InferenceService.Onnx.Proto;

namespace S3Router.InferenceService.Onnx;

/// <summary>
/// A small helper that appends nodes and initializers to an ONNX <see cref="GraphProto"/> and hands out
/// unique value names. Operators are those of the default domain at <see cref="Opset"/>.
/// </summary>
internal sealed class OnnxGraph
{
    /// <summary>ONNX IR version written into the model (IR 8 = ONNX 1.10-1.12).</summary>
    public const long IrVersion = 8;

    /// <summary>Default-domain opset the nodes are written against.</summary>
    public const long Opset = 17;

    private readonly Dictionary<string, int> _counters = new(StringComparer.Ordinal);
    private readonly HashSet<string> _initializerNames = new(StringComparer.Ordinal);

    public GraphProto Graph { get; } = new() { Name = "graph" };

    /// <summary>Appends a node with one output and returns the output's name (derived from <paramref name="hint"/>).</summary>
    public string Node(string opType, string hint, IEnumerable<string> inputs, params AttributeProto[] attributes)
    {
        var output = Unique(hint);
        NodeTo(opType, output, inputs, attributes);
        return output;
    }

    /// <summary>Appends a node whose single output gets exactly the name <paramref name="output"/> (graph outputs).</summary>
    public void NodeTo(string opType, string output, IEnumerable<string> inputs, params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = opType, Name = output + "/" + opType };
        node.Input.AddRange(inputs);
        node.Output.Add(output);
        node.Attribute.AddRange(attributes);
        Graph.Node.Add(node);
    }

    /// <summary>Adds a float initializer under its exact name (a parameter name) and returns that name.</summary>
    public string Initializer(string name, ReadOnlySpan<float> data, IReadOnlyList<long> shape)
    {
        if (!_initializerNames.Add(name))
        {
            throw new InvalidOperationException($"Initializer '{name}' added twice.");
        }

        var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float };
        tensor.Dims.AddRange(shape);
        // Raw little-endian bytes (the ONNX convention); wrapped without a second copy.
        var bytes = MemoryMarshal.AsBytes(data).ToArray();
        tensor.RawData = UnsafeByteOperations.UnsafeWrap(bytes);
        Graph.Initializer.Add(tensor);
        return name;
    }

    /// <summary>
    /// Adds a float initializer whose raw data is <paramref name="data"/> itself, not a copy: the array must stay
    /// unchanged until the model is serialised (weights, or a build's own masked arrays).
    /// </summary>
    public string Initializer(string name, float[] data, IReadOnlyList<long> shape)
    {
        if (!_initializerNames.Add(name))
        {
            throw new InvalidOperationException($"Initializer '{name}' added twice.");
        }

        var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float };
        tensor.Dims.AddRange(shape);
        tensor.RawData = UnsafeByteOperations.UnsafeWrap(new FloatBytesMemory(data).Memory);
        Graph.Initializer.Add(tensor);
        return name;
    }

    /// <summary>Adds an int64 constant initializer (shapes, axes) with a generated name.</summary>
    public string Int64s(string hint, params long[] values) => Int64Tensor(hint, values, [values.Length]);

    /// <summary>Adds an int64 scalar constant.</summary>
    public string Int64Scalar(string hint, long value) => Int64Tensor(hint, [value], []);

    /// <summary>Adds a float scalar constant.</summary>
    public string FloatScalar(string hint, float value)
    {
        var name = Unique(hint);
        return Initializer(name, [value], []);
    }

    /// <summary>Declares a graph input or output with element type and dims (a string dim is symbolic).</summary>
    public static ValueInfoProto Value(string name, TensorProto.Types.DataType type, params object[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var dim in dims)
        {
            shape.Dim.Add(dim switch
            {
                string param => new TensorShapeProto.Types.Dimension { DimParam = param },
                int value => new TensorShapeProto.Types.Dimension { DimValue = value },
                long value => new TensorShapeProto.Types.Dimension { DimValue = value },
                _ => throw new ArgumentException($"Unsupported dim {dim}.", nameof(dims)),
            });
        }

        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = shape } },
        };
    }

    public static AttributeProto Int(string name, long value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    public static AttributeProto Float(string name, float value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = value };

    public static AttributeProto Ints(string name, params long[] values)
    {
        var attribute = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        attribute.Ints.AddRange(values);
        return attribute;
    }

    private string Int64Tensor(string hint, long[] values, long[] shape)
    {
        var name = Unique(hint);
        _initializerNames.Add(name);
        var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Int64 };
        tensor.Dims.AddRange(shape);
        tensor.Int64Data.AddRange(values);
        Graph.Initializer.Add(tensor);
        return name;
    }

    private string Unique(string hint)
    {
        _counters.TryGetValue(hint, out var count);
        _counters[hint] = count + 1;
        return count == 0 ? hint : $"{hint}_{count}";
    }
}
