using System.Globalization;

namespace S3Router.Core.Audio;

/// <summary>Checks shared by the WAV reader and the raw decoders, so every path reports limits the same way.</summary>
internal static class AudioValidation
{
    public static void CheckContentSize(int length, AudioLimits limits)
    {
        if (length == 0)
        {
            throw new AudioFormatException("audio content is empty");
        }
        if (length > limits.MaxBytes)
        {
            throw new AudioFormatException(
                $"audio content is {length} bytes, more than the limit of {limits.MaxBytes} bytes");
        }
    }

    public static void CheckSampleRate(long sampleRateHertz, AudioLimits limits, string source, string field)
    {
        if (sampleRateHertz <= 0)
        {
            throw new AudioFormatException($"{source} sample rate is {sampleRateHertz} Hz; it must be positive", field);
        }
        if (sampleRateHertz < limits.MinSampleRateHertz || sampleRateHertz > limits.MaxSampleRateHertz)
        {
            throw new AudioFormatException(
                $"{source} sample rate is {sampleRateHertz} Hz; supported rates are {limits.MinSampleRateHertz} to {limits.MaxSampleRateHertz} Hz",
                field);
        }
    }

    public static void CheckDuration(long frames, int sampleRateHertz, AudioLimits limits)
    {
        if (frames == 0)
        {
            throw new AudioFormatException("audio has no samples");
        }
        var seconds = (double)frames / sampleRateHertz;
        if (seconds > limits.MaxDuration.TotalSeconds)
        {
            throw new AudioFormatException(string.Create(CultureInfo.InvariantCulture,
                $"audio is {seconds:0.###} s long, longer than the limit of {limits.MaxDuration.TotalSeconds:0.###} s"));
        }
    }
}
