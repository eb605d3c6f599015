namespace S3Router.Core.Safetensors;

/// <summary>
/// Element types of the safetensors format. The header spells them as in <see cref="SafetensorsDtypes.ToHeaderName"/>
/// (<c>F32</c>, <c>BF16</c>, ...); all multi-byte types are little-endian.
/// Reference: https://github.com/huggingface/safetensors
/// </summary>
public enum SafetensorsDtype
{
    /// <summary>Boolean, one byte per element (0 or 1).</summary>
    Bool,

    /// <summary>Unsigned 8-bit integer.</summary>
    U8,

    /// <summary>Signed 8-bit integer.</summary>
    I8,

    /// <summary>Signed 16-bit integer.</summary>
    I16,

    /// <summary>Unsigned 16-bit integer.</summary>
    U16,

    /// <summary>IEEE 754 half precision float.</summary>
    F16,

    /// <summary>bfloat16: the upper 16 bits of an IEEE 754 single.</summary>
    BF16,

    /// <summary>Signed 32-bit integer.</summary>
    I32,

    /// <summary>Unsigned 32-bit integer.</summary>
    U32,

    /// <summary>IEEE 754 single precision float.</summary>
    F32,

    /// <summary>IEEE 754 double precision float.</summary>
    F64,

    /// <summary>Signed 64-bit integer.</summary>
    I64,

    /// <summary>Unsigned 64-bit integer.</summary>
    U64,

    /// <summary>8-bit float, 4 exponent and 3 mantissa bits (raw bytes only: no conversion).</summary>
    F8E4M3,

    /// <summary>8-bit float, 5 exponent and 2 mantissa bits (raw bytes only: no conversion).</summary>
    F8E5M2,
}
