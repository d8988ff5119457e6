namespace MessengerAutoReply.Chats;

/// <summary>
/// One grain timer serves every wait of a chat (a lease, a backoff, the debounce, a hand-back): it is armed for the
/// earliest due time asked for, and the callback (the grain's kick) re-arms it for whatever still waits.
/// </summary>
internal sealed class ChatTimer(Func<TimeSpan, Func<Task>, IGrainTimer> register, Func<Task> onDue)
{
    private IGrainTimer? _timer;
    private DateTimeOffset _due = DateTimeOffset.MaxValue;

    /// <summary>True when <paramref name="due"/> is still ahead (the timer then fires by then).</summary>
    public bool WaitUntil(DateTimeOffset due, DateTimeOffset now)
    {
        if (due <= now)
        {
            return false;
        }
        if (_timer is not null && _due <= due)
        {
            return true;
        }
        _timer?.Dispose();
        _due = due;
        _timer = register(due - now, () =>
        {
            _timer?.Dispose();
            _timer = null;
            _due = DateTimeOffset.MaxValue;
            return onDue();
        });
        return true;
    }

    /// <summary>True while <paramref name="lease"/> holds; the timer then wakes the chat when it ends.</summary>
    public bool Waiting(WorkLease lease, DateTimeOffset now) => lease.Holds(now) && WaitUntil(lease.Until, now);
}
