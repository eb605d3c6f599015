namespace S3Router.TrainingService.Training.Heads;

/// <summary>How a classifier head turns frames into one utterance vector (JobSpec <c>head.pooling</c>).</summary>
internal enum ClassifierPooling
{
    /// <summary>Mean of the last hidden state over the valid frames ("mean").</summary>
    Mean,

    /// <summary>Softmax-weighted mean of the last hidden state, weights scored per frame ("attentive").</summary>
    Attentive,

    /// <summary>Mean and standard deviation of the all-states features, standardized ("stats").</summary>
    Stats,

    /// <summary>Mixed hidden states, layer norm, a convolution over time, ReLU, maximum over time ("conv_max", <see cref="ConvMaxHead"/>).</summary>
    ConvMax,
}
