using S3Router.Core.Backbones;

namespace S3Router.Core.Pruning;

/// <summary>
/// Multiply-add FLOPs (2 per multiply-accumulate) of one backbone forward for one utterance, with or without structured
/// pruning: conv layers, feature projection, positional conv, attention projections, attention scores and context,
/// FFN. Norms, activations and softmax are left out (linear in the sizes and small). The time axis after token
/// dropping is <c>frames</c>; the conv frontend always sees every sample.
/// </summary>
public static class BackboneCompute
{
    /// <summary>FLOPs of the conv frontend for <paramref name="samples"/> 16 kHz samples.</summary>
    public static double FrontendFlops(Wav2Vec2Config config, StructuredShape shape, long samples)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(shape);
        double flops = 0;
        var length = samples;
        long inChannels = 1;
        for (var i = 0; i < config.NumFeatExtractLayers; i++)
        {
            length = Math.Max(length - config.ConvKernel[i] + config.ConvStride[i], 0) / config.ConvStride[i];
            flops += 2.0 * inChannels * config.ConvKernel[i] * shape.ConvChannels[i] * length;
            inChannels = shape.ConvChannels[i];
        }

        return flops;
    }

    /// <summary>FLOPs of the feature projection, positional conv and transformer for <paramref name="frames"/> frames.</summary>
    public static double EncoderFlops(Wav2Vec2Config config, StructuredShape shape, long frames)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(shape);
        double t = frames;
        double hidden = config.HiddenSize;
        double headDim = hidden / config.NumAttentionHeads;
        var flops = 2.0 * shape.ConvChannels[^1] * hidden * t;                                      // feature projection
        flops += 2.0 * (hidden / config.NumConvPosEmbeddingGroups) * config.NumConvPosEmbeddings * hidden * t;
        for (var l = 0; l < config.NumHiddenLayers; l++)
        {
            var attention = shape.Heads[l] * headDim;
            flops += 8.0 * hidden * attention * t;                                                 // q, k, v, out
            flops += 4.0 * t * t * attention;                                                      // scores, context
            flops += 4.0 * hidden * shape.FfnUnits[l] * t;                                         // FFN
        }

        return flops;
    }

    /// <summary>FLOPs of the whole forward for one utterance of <paramref name="samples"/> samples.</summary>
    public static double ForwardFlops(Wav2Vec2Config config, StructuredShape shape, long samples) =>
        FrontendFlops(config, shape, samples) + EncoderFlops(config, shape, Frames(config, samples));

    /// <summary>Fraction of the unpruned forward's FLOPs that <paramref name="shape"/> needs, at <paramref name="samples"/> samples.</summary>
    public static double KeptFraction(Wav2Vec2Config config, StructuredShape shape, long samples) =>
        ForwardFlops(config, shape, samples) / ForwardFlops(config, StructuredShape.Full(config), samples);

    /// <summary>Output frames of the conv frontend for <paramref name="samples"/> samples.</summary>
    public static long Frames(Wav2Vec2Config config, long samples)
    {
        ArgumentNullException.ThrowIfNull(config);
        var length = samples;
        for (var i = 0; i < config.NumFeatExtractLayers; i++)
        {
            length = Math.Max(length - config.ConvKernel[i] + config.ConvStride[i], 0) / config.ConvStride[i];
        }

        return length;
    }

    /// <summary>Parameters (weights and biases) of the pruned linear and conv layers plus everything unpruned.</summary>
    public static long Parameters(Wav2Vec2Config config, StructuredShape shape)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(shape);
        long count = 0;
        long inChannels = 1;
        for (var i = 0; i < config.NumFeatExtractLayers; i++)
        {
            long c = shape.ConvChannels[i];
            count += (inChannels * config.ConvKernel[i] * c) + (config.ConvBias ? c : 0);
            if (config.FeatExtractNorm == "layer" || i == 0)
            {
                count += 2 * c;
            }

            inChannels = c;
        }

        long h = config.HiddenSize;
        var headDim = h / config.NumAttentionHeads;
        count += (config.FeatProjLayerNorm ? 2 * inChannels : 0) + (inChannels * h) + h;
        count += (h / config.NumConvPosEmbeddingGroups * config.NumConvPosEmbeddings * h) + h + (2 * h);
        for (var l = 0; l < config.NumHiddenLayers; l++)
        {
            long a = shape.Heads[l] * headDim;
            long f = shape.FfnUnits[l];
            count += (3 * ((h * a) + a)) + (a * h) + h;                                            // q, k, v, out
            count += (h * f) + f + (f * h) + h;                                                    // FFN
            count += 4 * h;                                                                        // two LayerNorms
        }

        return count;
    }
}
