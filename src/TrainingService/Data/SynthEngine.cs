namespace S3Router.TrainingService.Data;

/// <summary>The text-to-speech programs the corpus builder calls.</summary>
public enum SynthEngine
{
    /// <summary>espeak-ng: formant synthesis, 100+ languages, voice variants, pitch and rate.</summary>
    Espeak,

    /// <summary>Festival's text2wave with a Debian festvox voice (diphone, clunits or HTS).</summary>
    Festival,

    /// <summary>flite: CMU's small engine with four English voices.</summary>
    Flite,
}
