namespace MessengerAutoReply.Chats;

/// <summary>
/// Background work a chat grain has started and not yet heard back from: what (a message id, a run id) and until
/// when the grain waits for its report. A report that never comes (lost grain call) ends with the lease.
/// </summary>
internal readonly record struct WorkLease(string? Key, DateTimeOffset Until)
{
    public static WorkLease Start(string key, DateTimeOffset until) => new(key, until);

    public bool Holds(DateTimeOffset now) => Key is not null && now < Until;

    /// <summary>The report for <paramref name="key"/> ends the lease; a late report of older work leaves a newer lease alone.</summary>
    public WorkLease EndFor(string key) => Key is null || Key == key ? default : this;
}
