namespace S3Router.Core.Audio;

/// <summary>
/// G.711 decoding tables (ITU-T G.711, 1988), computed from the standard's segment/mantissa rules.
/// Values are the 16-bit linear samples the standard's reference code yields (mu-law peaks at ±32124, A-law at ±32256).
/// </summary>
internal static class G711
{
    private static readonly short[] s_mulaw = BuildMulaw();
    private static readonly short[] s_alaw = BuildAlaw();
    private static readonly float[] s_mulawFloat = ToFloat(s_mulaw);
    private static readonly float[] s_alawFloat = ToFloat(s_alaw);

    /// <summary>16-bit linear value of each mu-law code.</summary>
    public static ReadOnlySpan<short> MulawToLinear16 => s_mulaw;

    /// <summary>16-bit linear value of each A-law code.</summary>
    public static ReadOnlySpan<short> AlawToLinear16 => s_alaw;

    /// <summary>Each mu-law code as a float in [-1, 1] (linear16 / 32768).</summary>
    public static ReadOnlySpan<float> MulawToFloat => s_mulawFloat;

    /// <summary>Each A-law code as a float in [-1, 1] (linear16 / 32768).</summary>
    public static ReadOnlySpan<float> AlawToFloat => s_alawFloat;

    private static short[] BuildMulaw()
    {
        var table = new short[256];
        for (var code = 0; code < 256; code++)
        {
            // Codes are sent inverted; bias 0x84 (132) is added at encoding and removed here.
            var u = ~code & 0xFF;
            var exponent = (u >> 4) & 0x07;
            var mantissa = u & 0x0F;
            var magnitude = (((mantissa << 3) + 0x84) << exponent) - 0x84;
            table[code] = (short)((u & 0x80) != 0 ? -magnitude : magnitude);
        }
        return table;
    }

    private static short[] BuildAlaw()
    {
        var table = new short[256];
        for (var code = 0; code < 256; code++)
        {
            // Even bits are inverted on the wire; sign bit set means positive.
            var a = code ^ 0x55;
            var exponent = (a >> 4) & 0x07;
            var mantissa = a & 0x0F;
            var magnitude = exponent == 0
                ? (mantissa << 4) + 8
                : ((mantissa << 4) + 0x108) << (exponent - 1);
            table[code] = (short)((a & 0x80) != 0 ? magnitude : -magnitude);
        }
        return table;
    }

    private static float[] ToFloat(short[] table)
    {
        var result = new float[table.Length];
        for (var i = 0; i < table.Length; i++)
        {
            result[i] = table[i] / 32768f;
        }
        return result;
    }
}
