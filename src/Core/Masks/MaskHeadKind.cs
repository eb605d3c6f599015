namespace S3Router.Core.Masks;

/// <summary>The task head of a route. Stored in bundle metadata as <c>ctc</c> or <c>classifier</c>.</summary>
public enum MaskHeadKind
{
    /// <summary>Per-frame linear projection to a vocabulary, decoded with CTC (ASR, phoneme recognition).</summary>
    Ctc,

    /// <summary>Pooled utterance classifier (speaker, intent, keyword).</summary>
    Classifier,
}
