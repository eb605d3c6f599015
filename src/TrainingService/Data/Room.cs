using System.Numerics.Tensors;

namespace S3Router.TrainingService.Data;

/// <summary>
/// A room a training utterance is heard in: a synthetic one (<see cref="RoomReverb"/>) or a measured impulse response
/// (<see cref="MeasuredRoom"/>). Either keeps the utterance's length (transcripts and manifest sizes stay its own) and
/// its RMS level.
/// </summary>
internal abstract record Room
{
    /// <summary>A stable description for file identities (part of <see cref="Augmentation.Key"/>).</summary>
    public abstract string Key { get; }

    /// <summary>The samples heard in the room; a synthetic room draws its response's noise from <paramref name="random"/>.</summary>
    public abstract float[] Apply(float[] samples, Random random);

    /// <summary>
    /// <paramref name="samples"/> convolved with <paramref name="response"/>, read from <paramref name="delay"/> samples
    /// in (a measured response's direct path arrives after a delay; reading from it keeps the words where they were),
    /// cut to the input's length and scaled back to its RMS level.
    /// </summary>
    protected static float[] Convolve(float[] samples, float[] response, int delay)
    {
        // y[i] = sum_k h[k] x[i + delay - k]: a dot product of the reversed response with a window of the padded input.
        var reversed = response.Reverse().ToArray();
        var padded = new float[samples.Length + response.Length - 1];
        samples.CopyTo(padded, response.Length - 1);
        var output = new float[samples.Length];
        for (var i = 0; i < output.Length; i++)
        {
            var start = i + delay;
            var length = Math.Min(response.Length, padded.Length - start);
            output[i] = length <= 0 ? 0 : TensorPrimitives.Dot<float>(reversed.AsSpan(0, length), padded.AsSpan(start, length));
        }
        var before = TensorPrimitives.Norm<float>(samples);
        var after = TensorPrimitives.Norm<float>(output);
        if (after > 0)
        {
            TensorPrimitives.Multiply(output, before / after, output);
        }
        return output;
    }
}
