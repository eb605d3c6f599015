using System.ComponentModel.DataAnnotations;

namespace S3Router.TrainingService;

/// <summary>Where training jobs keep their state and whom they publish to. Bound from the <c>Training</c> section (env: <c>Training__MaxConcurrentJobs</c>).</summary>
public sealed class TrainingServiceOptions
{
    public const string SectionName = "Training";

    /// <summary>Folder holding the job database (<c>jobs.db</c>) and one work directory per job (<c>jobs/&lt;id&gt;</c>). Default: <c>$S3R_DATA/training</c> when S3R_DATA is set, else <c>./.s3router/training</c>.</summary>
    [Required]
    public string DataDirectory { get; set; } = DefaultDataDirectory();

    /// <summary>Jobs this worker runs at the same time; the rest wait in the queue. Default: 1. Range: 1 to 64.</summary>
    [Range(1, 64)]
    public int MaxConcurrentJobs { get; set; } = 1;

    /// <summary>gRPC address of the mask registry jobs publish to, unless a job names its own. Default: <c>http://localhost:50053</c>.</summary>
    [Required]
    public string RegistryAddress { get; set; } = "http://localhost:50053";

    /// <summary>API key sent to the registry as <c>authorization: Bearer KEY</c>. Default: none (the registry's auth is off).</summary>
    public string? RegistryApiKey { get; set; }

    /// <summary>Progress is written to the job database at most this often; watchers still see every step. Default: 1 s. Range: 0 to 10 min.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan ProgressPersistInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Longest time one publish to the registry may take. Default: 10 min. Range: 1 s to 1 h.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan PublishTimeout { get; set; } = TimeSpan.FromMinutes(10);

    private static string DefaultDataDirectory()
    {
        var root = Environment.GetEnvironmentVariable("S3R_DATA");
        return string.IsNullOrWhiteSpace(root) ? Path.Combine(".s3router", "training") : Path.Combine(root, "training");
    }
}
