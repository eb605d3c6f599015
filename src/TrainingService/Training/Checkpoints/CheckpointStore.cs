using System.Globalization;
using System.Text.Json;
using S3Router.Core.Errors;
using S3Router.Core.Safetensors;
using static TorchSharp.torch;

namespace S3Router.TrainingService.Training.Checkpoints;

/// <summary>
/// Checkpoints under <c>&lt;work&gt;/checkpoints/step-NNNNNNNN/state.safetensors</c>: trainable parameters, Adam
/// moments (<see cref="AdamOptimizer.Save"/>), the torch RNG state (<c>rng/torch</c>, U8) and a
/// <see cref="TrainingState"/> as JSON metadata. A checkpoint is written in a temporary directory and renamed
/// into place, so a crash never leaves a partial one; older checkpoints are deleted after a new one lands.
/// </summary>
internal sealed class CheckpointStore(string workDirectory)
{
    private const string StateFile = "state.safetensors";
    private const string Prefix = "step-";
    private const string RngTensor = "rng/torch";
    private const string StateKey = "training_state";
    private const string DefaultStartOver = "use a fresh work directory or delete the checkpoints";

    private readonly string _directory = Path.Combine(workDirectory, "checkpoints");

    public void Save(TrainingState state, AdamOptimizer optimizer)
    {
        Directory.CreateDirectory(_directory);
        var steps = new Dictionary<string, long>(StringComparer.Ordinal);
        var writer = new SafetensorsWriter();
        optimizer.Save(writer, steps);
        using (var rng = random.get_rng_state())
        {
            writer.Add(RngTensor, SafetensorsDtype.U8, rng.shape, rng.data<byte>().ToArray());
        }

        writer.SetMetadata(StateKey, JsonSerializer.Serialize(state with { AdamSteps = steps }));
        var temporary = Path.Combine(_directory, $"tmp-{Guid.NewGuid():N}");
        Directory.CreateDirectory(temporary);
        writer.WriteToFile(Path.Combine(temporary, StateFile));
        var final = Path.Combine(_directory, Prefix + state.Step.ToString("D8", CultureInfo.InvariantCulture));
        if (Directory.Exists(final))
        {
            Directory.Delete(final, recursive: true);
        }

        Directory.Move(temporary, final);
        foreach (var old in Directory.GetDirectories(_directory).Where(d => d != final))
        {
            Directory.Delete(old, recursive: true); // older steps and temporaries of crashed writes
        }
    }

    /// <summary>
    /// Restores the latest checkpoint into <paramref name="optimizer"/> and the torch RNG; null when there is none.
    /// A checkpoint of another spec, or of other data (<paramref name="datasetDigest"/>, when given and recorded), is refused.
    /// </summary>
    public TrainingState? TryLoad(AdamOptimizer optimizer, string specDigest, string datasetDigest = "")
    {
        var latest = Latest();
        if (latest is null)
        {
            return null;
        }

        using var file = SafetensorsFile.Open(Path.Combine(latest, StateFile));
        var state = ReadState(latest, file);
        Check(latest, state, specDigest, datasetDigest, DefaultStartOver);
        optimizer.Load(file, state.AdamSteps);
        var rngInfo = file.Tensors[RngTensor];
        using var rng = tensor(file.GetBytes(RngTensor).ToArray(), rngInfo.Shape.ToArray(), dtype: ScalarType.Byte);
        random.set_rng_state(rng);
        return state;
    }

    /// <summary>
    /// Refuses the latest checkpoint as <see cref="TryLoad"/> would, without restoring anything, so a job can check before
    /// expensive preparation (pretraining targets). <paramref name="startOver"/> tells how to start over in the error.
    /// </summary>
    public void Verify(string specDigest, string datasetDigest, string startOver)
    {
        var latest = Latest();
        if (latest is not null)
        {
            using var file = SafetensorsFile.Open(Path.Combine(latest, StateFile));
            Check(latest, ReadState(latest, file), specDigest, datasetDigest, startOver);
        }
    }

    private string? Latest() =>
        Directory.Exists(_directory)
            ? Directory.GetDirectories(_directory, Prefix + "*")
                .Where(d => File.Exists(Path.Combine(d, StateFile)))
                .OrderByDescending(d => d, StringComparer.Ordinal)
                .FirstOrDefault()
            : null;

    private static TrainingState ReadState(string latest, SafetensorsFile file) =>
        (file.Metadata.TryGetValue(StateKey, out var json) ? JsonSerializer.Deserialize<TrainingState>(json) : null)
        ?? throw new FailedPreconditionException($"Checkpoint '{latest}' has no training state; delete it to start over.");

    private static void Check(string latest, TrainingState state, string specDigest, string datasetDigest, string startOver)
    {
        if (state.SpecDigest != specDigest)
        {
            throw new FailedPreconditionException(
                $"Checkpoint '{latest}' belongs to another job spec; {startOver}.");
        }

        // The spec names the data by path: a corpus rebuilt in place must not resume another corpus's training.
        if (datasetDigest.Length > 0 && state.DatasetDigest.Length > 0 && state.DatasetDigest != datasetDigest)
        {
            throw new FailedPreconditionException(
                $"Checkpoint '{latest}' was trained on other data (dataset digest {state.DatasetDigest}, now {datasetDigest}); {startOver}.");
        }
    }
}
