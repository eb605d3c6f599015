using System.Globalization;
using S3Router.Core.Audio;
using S3Router.Core.Errors;
using S3Router.Core.Masks;

namespace S3Router.TrainingService.Data;

/// <summary>
/// A room of a measured impulse response (<c>s3r data synth --rir-dir</c>, e.g. the real responses of OpenSLR's
/// RIRS_NOISES): the utterance is convolved with it and read from its direct path on, so the words stay where they were.
/// </summary>
/// <param name="Name">The WAV file's path under the folder, with <c>/</c> separators.</param>
/// <param name="Digest">The first 12 hex digits of the file's SHA-256: a changed file makes new corpus files.</param>
/// <param name="Response">The response at 16 kHz (channels averaged), its tail below −80 dB of the peak cut.</param>
/// <param name="Delay">Index of the direct path: the response's largest magnitude.</param>
internal sealed record MeasuredRoom(string Name, string Digest, float[] Response, int Delay) : Room
{
    /// <summary>Longest response taken, after its quiet tail is cut: longer files are likely recordings, not responses.</summary>
    public static readonly TimeSpan LongestResponse = TimeSpan.FromSeconds(4);

    private const double TailFloor = 1e-4; // −80 dB of the peak
    private const string Field = "rir-dir";
    private static readonly AudioLimits s_limits = new() { MaxBytes = int.MaxValue, MaxDuration = TimeSpan.FromHours(1) };

    /// <inheritdoc />
    public override string Key => $"rir:{Name}@{Digest}";

    /// <summary>The samples convolved with <see cref="Response"/> from its direct path on, at their length and level.</summary>
    public override float[] Apply(float[] samples, Random random) => Convolve(samples, Response, Delay);

    /// <summary>Every <c>.wav</c> under <paramref name="directory"/> (subfolders too), sorted by <see cref="Name"/>.</summary>
    /// <exception cref="InvalidInputException">
    /// The folder is missing or holds no WAV, or a file is unreadable, silent or longer than <see cref="LongestResponse"/>
    /// (field <c>rir-dir</c>).
    /// </exception>
    public static IReadOnlyList<MeasuredRoom> Load(string directory)
    {
        if (!Directory.Exists(directory))
        {
            throw new InvalidInputException($"impulse response folder '{directory}' does not exist", Field);
        }
        var files = Directory.EnumerateFiles(directory, "*.wav", new EnumerationOptions { RecurseSubdirectories = true, MatchCasing = MatchCasing.CaseInsensitive })
            .Select(path => (Path: path, Name: Path.GetRelativePath(directory, path).Replace(Path.DirectorySeparatorChar, '/')))
            .OrderBy(f => f.Name, StringComparer.Ordinal)
            .ToList();
        if (files.Count == 0)
        {
            throw new InvalidInputException($"impulse response folder '{directory}' holds no .wav file", Field);
        }
        return [.. files.Select(f => Read(f.Path, f.Name))];
    }

    private static MeasuredRoom Read(string path, string name)
    {
        var bytes = File.ReadAllBytes(path);
        WavAudio wav;
        try
        {
            wav = WavReader.Read(bytes, s_limits);
        }
        catch (AudioFormatException ex)
        {
            throw new InvalidInputException($"impulse response '{name}' is not a readable WAV: {ex.Message}", Field);
        }
        var response = AudioResampler.Resample(wav.Samples, wav.SampleRateHertz, AudioDecoder.TargetSampleRateHertz);
        var delay = 0;
        for (var i = 1; i < response.Length; i++)
        {
            delay = Math.Abs(response[i]) > Math.Abs(response[delay]) ? i : delay;
        }
        var peak = response.Length == 0 ? 0 : Math.Abs(response[delay]);
        if (peak == 0)
        {
            throw new InvalidInputException($"impulse response '{name}' is silent", Field);
        }
        var end = response.Length;
        while (Math.Abs(response[end - 1]) < TailFloor * peak)
        {
            end--;
        }
        var seconds = (double)end / AudioDecoder.TargetSampleRateHertz;
        if (seconds > LongestResponse.TotalSeconds)
        {
            throw new InvalidInputException(string.Create(CultureInfo.InvariantCulture,
                $"impulse response '{name}' lasts {seconds:0.#} s above −80 dB of its peak; at most {LongestResponse.TotalSeconds:0} s is taken (is it a recording?)"), Field);
        }
        return new MeasuredRoom(name, Sha256Digest.Of(bytes)[..12], response[..end], delay);
    }
}
