namespace S3Router.TrainingService.Data;

/// <summary>Renders text with one voice as 16 kHz mono samples.</summary>
internal interface ISpeechSynthesizer
{
    /// <summary>Samples in [-1, 1] at 16 kHz.</summary>
    Task<float[]> SynthesizeAsync(string text, VoiceRendition voice, CancellationToken cancellationToken);
}
