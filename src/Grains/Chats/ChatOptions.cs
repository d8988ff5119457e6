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

    public TimeSpan Backoff(int attempt)
    {
        var factor = Math.Pow(2, Math.Clamp(attempt - 1, 0, 20));
        var delay = TimeSpan.FromTicks((long)Math.Min(RetryBackoffMin.Ticks * factor, RetryBackoffMax.Ticks));
        return delay < RetryBackoffMin ? RetryBackoffMin : delay;
    }
}
