using System.Globalization;
using System.Text;
using S3Router.Core.Audio;

namespace S3Router.TrainingService.Data;

/// <summary>
/// Calls espeak-ng, festival's text2wave or flite as a process: text goes in through a file in the engine's
/// encoding, the engine writes a WAV file at its own rate, which is read and resampled to 16 kHz in process.
/// </summary>
internal sealed class ProcessSpeechSynthesizer(string workDirectory) : ISpeechSynthesizer
{
    private const int TargetRate = AudioDecoder.TargetSampleRateHertz;
    private const int DefaultRate = 175;

    // Synthesized sentences are short but engines may be slow; bound only what a WAV reader must.
    private static readonly AudioLimits s_limits = new()
    {
        MaxBytes = 256L * 1024 * 1024,
        MaxDuration = TimeSpan.FromMinutes(10),
    };

    static ProcessSpeechSynthesizer() => Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);

    public async Task<float[]> SynthesizeAsync(string text, VoiceRendition voice, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(workDirectory);
        var stem = Path.Combine(workDirectory, Guid.NewGuid().ToString("N"));
        var textFile = stem + ".txt";
        var wavFile = stem + ".wav";
        try
        {
            await File.WriteAllBytesAsync(textFile, Encode(text + "\n", voice.Voice.TextEncoding), cancellationToken);
            var stretch = ((double)DefaultRate / voice.Rate).ToString("0.###", CultureInfo.InvariantCulture);
            var (program, arguments) = voice.Voice.Engine switch
            {
                SynthEngine.Espeak => ("espeak-ng", new[]
                {
                    "-v", $"{voice.EspeakVoice}+{voice.Voice.Name}",
                    "-p", voice.Pitch.ToString(CultureInfo.InvariantCulture),
                    "-s", voice.Rate.ToString(CultureInfo.InvariantCulture),
                    "-f", textFile, "-w", wavFile,
                }),
                SynthEngine.Flite => ("flite", ["-voice", voice.Voice.Name, "--setf", $"duration_stretch={stretch}",
                    "-f", textFile, "-o", wavFile]),
                SynthEngine.Festival => ("text2wave", ["-eval", $"(voice_{voice.Voice.Name})",
                    "-eval", $"(Parameter.set 'Duration_Stretch {stretch})", textFile, "-o", wavFile]),
                _ => throw new ArgumentOutOfRangeException(nameof(voice), voice.Voice.Engine, "unknown engine"),
            };
            await ProcessRunner.RunAsync(program, arguments, cancellationToken);
            if (!File.Exists(wavFile))
            {
                throw new SynthesisException($"{program} wrote no audio for \"{text}\" with {voice.Key}");
            }
            var wav = WavReader.Read(await File.ReadAllBytesAsync(wavFile, cancellationToken), s_limits);
            return AudioResampler.Resample(wav.Samples, wav.SampleRateHertz, TargetRate);
        }
        catch (AudioFormatException ex)
        {
            throw new SynthesisException($"{voice.Voice.Engine} wrote an unreadable WAV for \"{text}\" with {voice.Key}: {ex.Message}", ex);
        }
        finally
        {
            File.Delete(textFile);
            File.Delete(wavFile);
        }
    }

    private static byte[] Encode(string text, string encoding)
    {
        // Letters the legacy code page lacks would become '?'; callers only pass letters of the voice's language.
        var target = Encoding.GetEncoding(encoding, EncoderFallback.ExceptionFallback, DecoderFallback.ExceptionFallback);
        try
        {
            return target.GetBytes(text);
        }
        catch (EncoderFallbackException ex)
        {
            throw new SynthesisException($"\"{text}\" cannot be written in {encoding} for this voice", ex);
        }
    }
}
