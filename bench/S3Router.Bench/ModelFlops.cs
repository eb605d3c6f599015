using S3Router.Core.Backbones;

namespace S3Router.Bench;

/// <summary>Multiply-add FLOPs (2 per MAC) of one backbone forward: convs, projection, positional conv, attention, FFN.</summary>
internal static class ModelFlops
{
    public static double Forward(Wav2Vec2Config config, int batch, long samples)
    {
        double flops = 0;
        long length = samples;
        long inChannels = 1;
        for (var i = 0; i < config.NumFeatExtractLayers; i++)
        {
            length = ((length - config.ConvKernel[i]) / config.ConvStride[i]) + 1;
            flops += 2.0 * inChannels * config.ConvKernel[i] * config.ConvDim[i] * length;
            inChannels = config.ConvDim[i];
        }

        double frames = length;
        double hidden = config.HiddenSize;
        flops += 2.0 * inChannels * hidden * frames; // feature projection
        flops += 2.0 * (hidden / config.NumConvPosEmbeddingGroups) * config.NumConvPosEmbeddings * hidden * frames;
        var perLayer = (8.0 * hidden * hidden * frames) // q, k, v, out projections
            + (4.0 * frames * frames * hidden) // scores and context
            + (4.0 * hidden * config.IntermediateSize * frames); // FFN
        flops += config.NumHiddenLayers * perLayer;
        return flops * batch;
    }
}
