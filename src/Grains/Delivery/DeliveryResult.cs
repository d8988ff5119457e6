namespace MessengerAutoReply.Delivery;

[GenerateSerializer, Immutable, Alias("MessengerAutoReply.DeliveryResult")]
public sealed record DeliveryResult
{
    [Id(0)] public bool Sent { get; init; }
    [Id(1)] public string? PlatformMessageId { get; init; }
    [Id(2)] public string? Error { get; init; }
    /// <summary>A failure that retrying cannot fix (blocked bot, bad request, wrong key).</summary>
    [Id(3)] public bool Permanent { get; init; }
    /// <summary>The chat itself cannot be reached any more (bot blocked, user deactivated).</summary>
    [Id(4)] public bool ChatUnreachable { get; init; }
    /// <summary>Not sent and not attempted (the platform's rate budget is used up): offer it again after this, no attempt counted.</summary>
    [Id(5)] public TimeSpan? RetryAfter { get; init; }

    public static DeliveryResult Success(string platformMessageId) => new() { Sent = true, PlatformMessageId = platformMessageId };

    /// <summary>
    /// The platform took the message (it answered 2xx) but its answer could not be read: delivered, never to be
    /// sent again, with the platform's id unknown. <paramref name="platformMessageId"/> is a stand-in when the
    /// platform gave some other handle (Brevo's request id); <paramref name="error"/> says what is missing.
    /// </summary>
    public static DeliveryResult SentWithoutId(string error, string? platformMessageId = null) =>
        new() { Sent = true, PlatformMessageId = platformMessageId, Error = error };

    public static DeliveryResult Transient(string error) => new() { Error = error };
    public static DeliveryResult Rejected(string error, bool chatUnreachable = false) =>
        new() { Error = error, Permanent = true, ChatUnreachable = chatUnreachable };
    public static DeliveryResult Deferred(string reason, TimeSpan retryAfter) => new() { Error = reason, RetryAfter = retryAfter };
}
