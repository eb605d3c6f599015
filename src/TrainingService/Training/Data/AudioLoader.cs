using S3Router.Core.Audio;
using S3Router.Core.Errors;

namespace S3Router.TrainingService.Training.Data;

/// <summary>Loads a WAV file as 16 kHz mono float samples through the Core reader and resampler.</summary>
internal static class AudioLoader
{
    // Training data is trusted and can be long: far looser than the request limits.
    private static readonly AudioLimits Limits = new()
    {
        MaxBytes = 1L << 31,
        MaxDuration = TimeSpan.FromHours(2),
    };

    public static float[] Load(string path)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new NotFoundException($"Audio file '{path}' from the manifest does not exist.", e);
        }

        WavAudio wav;
        try
        {
            wav = WavReader.Read(bytes, Limits);
        }
        catch (AudioFormatException e)
        {
            throw new InvalidInputException($"Audio file '{path}' is not a readable WAV file: {e.Message}", "dataset.manifest_dir");
        }

        return wav.SampleRateHertz == AudioDecoder.TargetSampleRateHertz
            ? wav.Samples
            : AudioResampler.Resample(wav.Samples, wav.SampleRateHertz, AudioDecoder.TargetSampleRateHertz);
    }
}
