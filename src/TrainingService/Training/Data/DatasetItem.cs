namespace S3Router.TrainingService.Training.Data;

/// <summary>One utterance ready for training or evaluation.</summary>
/// <param name="AudioPath">Absolute path of the WAV file.</param>
/// <param name="Samples">Length from the manifest, used to sort and batch.</param>
/// <param name="Reference">Reference transcript (spaces between words) or class name, for the metrics.</param>
/// <param name="Targets">CTC label indices, or one class index (-1 for a class unseen in training).</param>
internal sealed record DatasetItem(string AudioPath, long Samples, string Reference, long[] Targets);
