using System.Runtime.InteropServices;
using S3Router.Core.Backbones;

namespace S3Router.InferenceService.Onnx;

/// <summary>
/// The all-states features of a frame for statistics pooling (docs/formats.md, "Route heads"): the conv features
/// (conv_dim[-1]), hidden state 0 (the transformer's input, hidden) and hidden states 1..L (each layer's output, hidden
/// each) side by side, width <see cref="Wav2Vec2Config.AllStatesWidth"/>.
/// </summary>
public static class AllStates
{
    /// <summary>
    /// Concatenates per frame: conv [frames, C], state 0 [frames, H] and states 1..L [frames, L·H] -> [frames, C + (L+1)·H].
    /// </summary>
    public static float[,] Concat(float[,] convFeatures, float[,] state0, float[,] encoderStates)
    {
        ArgumentNullException.ThrowIfNull(convFeatures);
        ArgumentNullException.ThrowIfNull(state0);
        ArgumentNullException.ThrowIfNull(encoderStates);
        var frames = state0.GetLength(0);
        if (convFeatures.GetLength(0) != frames || encoderStates.GetLength(0) != frames)
        {
            throw new ArgumentException(
                $"The states have {convFeatures.GetLength(0)}, {frames} and {encoderStates.GetLength(0)} frames; expected the same.", nameof(encoderStates));
        }

        int c = convFeatures.GetLength(1), h = state0.GetLength(1), e = encoderStates.GetLength(1);
        var width = c + h + e;
        var result = new float[frames, width];
        if (frames == 0)
        {
            return result;
        }

        var target = MemoryMarshal.CreateSpan(ref result[0, 0], result.Length);
        var conv = MemoryMarshal.CreateReadOnlySpan(ref convFeatures[0, 0], convFeatures.Length);
        var zero = MemoryMarshal.CreateReadOnlySpan(ref state0[0, 0], state0.Length);
        var layers = MemoryMarshal.CreateReadOnlySpan(ref encoderStates[0, 0], encoderStates.Length);
        for (var t = 0; t < frames; t++)
        {
            var row = target.Slice(t * width, width);
            conv.Slice(t * c, c).CopyTo(row);
            zero.Slice(t * h, h).CopyTo(row[c..]);
            layers.Slice(t * e, e).CopyTo(row[(c + h)..]);
        }

        return result;
    }

    /// <summary>The last <paramref name="hidden"/> columns of <paramref name="states"/> [frames, k·hidden]: the last hidden state.</summary>
    public static float[,] LastState(float[,] states, int hidden)
    {
        ArgumentNullException.ThrowIfNull(states);
        var frames = states.GetLength(0);
        var width = states.GetLength(1);
        var result = new float[frames, hidden];
        for (var t = 0; t < frames; t++)
        {
            for (var i = 0; i < hidden; i++)
            {
                result[t, i] = states[t, width - hidden + i];
            }
        }

        return result;
    }
}
