namespace S3Router.Core.Backbones;

/// <summary>
/// The fields of a Hugging Face <c>config.json</c> that shape the backbone, all optional (a missing or null field takes
/// the <c>Wav2Vec2Config</c>/<c>HubertConfig</c> default). Names come from the snake_case naming policy.
/// </summary>
internal sealed class HfConfigDocument
{
    public string? ModelType { get; set; }
    public int? HiddenSize { get; set; }
    public int? NumHiddenLayers { get; set; }
    public int? NumAttentionHeads { get; set; }
    public int? IntermediateSize { get; set; }
    public string? HiddenAct { get; set; }
    public double? LayerNormEps { get; set; }
    public string? FeatExtractNorm { get; set; }
    public string? FeatExtractActivation { get; set; }
    public int[]? ConvDim { get; set; }
    public int[]? ConvStride { get; set; }
    public int[]? ConvKernel { get; set; }
    public bool? ConvBias { get; set; }
    public int? NumConvPosEmbeddings { get; set; }
    public int? NumConvPosEmbeddingGroups { get; set; }
    public bool? DoStableLayerNorm { get; set; }
    public bool? FeatProjLayerNorm { get; set; }
    public double? HiddenDropout { get; set; }
    public double? AttentionDropout { get; set; }
    public double? ActivationDropout { get; set; }
    public double? FeatProjDropout { get; set; }
    public double? Layerdrop { get; set; }
    public int? VocabSize { get; set; }
    public double? MaskTimeProb { get; set; }
    public double? MaskFeatureProb { get; set; }

    // Features that add modules the model code does not have; refused rather than silently dropped.
    public bool? AddAdapter { get; set; }
    public int? AdapterAttnDim { get; set; }
    public bool? ConvPosBatchNorm { get; set; }
}
