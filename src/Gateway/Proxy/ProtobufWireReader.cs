namespace S3Router.Gateway.Proxy;

/// <summary>
/// Reads protobuf's wire format (tags, varints, length-delimited fields, skips) over a span without allocating, and
/// reports bad bytes as false with <see cref="Error"/> instead of throwing. Only what the gateway needs to find fields
/// in a message without parsing all of it. Format: https://protobuf.dev/programming-guides/encoding/
/// </summary>
internal ref struct ProtobufWireReader(ReadOnlySpan<byte> data)
{
    /// <summary>Nesting of groups that a skip follows at most (protobuf's default recursion limit).</summary>
    private const int MaxGroupDepth = 100;

    private readonly ReadOnlySpan<byte> _data = data;
    private int _position;

    public readonly bool End => _position >= _data.Length;

    /// <summary>What was wrong with the bytes after a false return.</summary>
    public string? Error { get; private set; }

    /// <summary>Reads a tag (field number and wire type); false on a truncated varint or field number 0.</summary>
    public bool TryReadTag(out uint tag)
    {
        tag = 0;
        if (!TryReadVarint(out var value))
        {
            return false;
        }
        // Like protobuf, a tag or length keeps the low 32 bits of its varint.
        tag = (uint)value;
        return tag >> 3 != 0 || Fail($"invalid tag {tag} (field number 0) before byte {_position}");
    }

    /// <summary>Reads a length-delimited field's payload (after its tag).</summary>
    public bool TryReadLengthDelimited(out ReadOnlySpan<byte> payload)
    {
        payload = default;
        if (!TryReadVarint(out var length))
        {
            return false;
        }
        var size = (int)(uint)length;
        if (size < 0 || size > _data.Length - _position)
        {
            return Fail($"a length-delimited field of {size} bytes at byte {_position} does not fit in the message ({_data.Length} bytes)");
        }
        payload = _data.Slice(_position, size);
        _position += size;
        return true;
    }

    /// <summary>Skips the value of a field whose tag was just read, whatever its wire type.</summary>
    public bool TrySkipField(uint tag) => TrySkipField(tag, 0);

    private bool TrySkipField(uint tag, int depth)
    {
        switch (tag & 7)
        {
            case 0:
                return TryReadVarint(out _);
            case 1:
                return TrySkipBytes(8);
            case 2:
                return TryReadLengthDelimited(out _);
            case 3:
                return TrySkipGroup(tag >> 3, depth + 1);
            case 5:
                return TrySkipBytes(4);
            default:
                // 4 (end group) without its start, 6 and 7 (no such wire types)
                return Fail($"unexpected wire type {tag & 7} of field {tag >> 3} at byte {_position}");
        }
    }

    private bool TrySkipGroup(uint field, int depth)
    {
        if (depth > MaxGroupDepth)
        {
            return Fail($"groups nested deeper than {MaxGroupDepth}");
        }
        while (!End)
        {
            if (!TryReadTag(out var tag))
            {
                return false;
            }
            if ((tag & 7) == 4)
            {
                return tag >> 3 == field || Fail($"group {field} ended by the end of group {tag >> 3}");
            }
            if (!TrySkipField(tag, depth))
            {
                return false;
            }
        }
        return Fail($"group {field} never ends");
    }

    private bool TrySkipBytes(int count)
    {
        if (count > _data.Length - _position)
        {
            return Fail($"a fixed-size field at byte {_position} runs past the end of the message");
        }
        _position += count;
        return true;
    }

    private bool TryReadVarint(out ulong value)
    {
        value = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            if (_position >= _data.Length)
            {
                return Fail($"the message ends inside a varint at byte {_position}");
            }
            var b = _data[_position++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return true;
            }
        }
        return Fail($"a varint longer than 10 bytes ends at byte {_position}");
    }

    private bool Fail(string error)
    {
        Error = error;
        return false;
    }
}
