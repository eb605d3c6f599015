namespace S3Router.TrainingService.Data;

/// <summary>Which parts of the corpus to build.</summary>
[Flags]
public enum CorpusTasks
{
    /// <summary>Nothing.</summary>
    None = 0,

    /// <summary>Per-language ASR sets under <c>asr/&lt;lang&gt;/</c>.</summary>
    Asr = 1,

    /// <summary>Speaker identification under <c>speaker/</c>.</summary>
    Speaker = 2,

    /// <summary>Intent classification under <c>intent/</c>.</summary>
    Intent = 4,

    /// <summary>All three.</summary>
    All = Asr | Speaker | Intent,
}
