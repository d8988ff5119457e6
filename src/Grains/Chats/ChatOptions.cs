namespace MessengerAutoReply.Chats;

public sealed class ChatOptions
{
    /// <summary>autoMode of a chat created now (AUTO_MODE_DEFAULT).</summary>
    public bool AutoModeDefault { get; set; } = true;

    /// <summary>An operator's message switches the chat's autoMode off (OPERATOR_TAKEOVER).</summary>
    public bool OperatorTakeover { get; set; } = true;

    // Not settings: fixed sizes of a chat's state. The variables that are settings have their bounds checked by
    // ServiceSettings.Load (SettingsReader's min/max names the variable), not by attributes nothing enforced.
    public int DedupWindow { get; set; } = 1000;

    public int RecentMessages { get; set; } = 50;

    /// <summary>DELIVERY_MAX_ATTEMPTS, 1 to 100.</summary>
    public int DeliveryMaxAttempts { get; set; } = 8;

    public TimeSpan RetryBackoffMin { get; set; } = TimeSpan.FromSeconds(1);

    public TimeSpan RetryBackoffMax { get; set; } = TimeSpan.FromMinutes(2);

    public TimeSpan DeliveryTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// How long a chat waits for the report of a send, archive write or file fetch it started (WORK_LEASE, default
    /// twice DELIVERY_TIMEOUT, which bounds the work itself): past it, the report counts as lost and the work starts again.
    /// </summary>
    public TimeSpan WorkLease { get; set; } = TimeSpan.FromSeconds(120);

    /// <summary>How long a chat waits for its AI run to report (AI_RUN_LEASE); past it, the run is resumed.</summary>
    public TimeSpan RunLease { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// How long a silo that stops gracefully waits for running chat work (sends, fetches, AI runs) to report back
    /// (WORK_DRAIN_TIMEOUT); what has not reported by then is restarted by its lease elsewhere or after the restart.
    /// </summary>
    public TimeSpan WorkDrainTimeout { get; set; } = TimeSpan.FromSeconds(20);

    public TimeSpan Backoff(int attempt)
    {
        var factor = Math.Pow(2, Math.Clamp(attempt - 1, 0, 20));
        var delay = TimeSpan.FromTicks((long)Math.Min(RetryBackoffMin.Ticks * factor, RetryBackoffMax.Ticks));
        return delay < RetryBackoffMin ? RetryBackoffMin : delay;
    }
}
