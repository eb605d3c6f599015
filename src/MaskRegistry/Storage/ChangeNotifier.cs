namespace S3Router.MaskRegistry.Storage;

/// <summary>
/// Wakes watchers in this process when a change was committed. Watchers always read events from the database, so a
/// missed or spurious wake-up costs a query, never an event.
/// </summary>
internal sealed class ChangeNotifier
{
    private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes at the next <see cref="Notify"/>. Take it before reading, then wait on it.</summary>
    public Task NextChange => Volatile.Read(ref _next).Task;

    public void Notify() =>
        Interlocked.Exchange(ref _next, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
}
