using MessengerAutoReply.Chats;

namespace MessengerAutoReply.Delivery;

/// <summary>
/// Sends to one platform. Grains see only this; HTTP, SDKs, pacing and retries of transient errors stay in
/// the adapter behind it.
/// </summary>
public interface IMessengerGateway
{
    /// <summary>The <see cref="Chat.Platform"/> this gateway serves.</summary>
    string Platform { get; }

    /// <summary>Longest text one platform message may carry; longer replies are split before they are stored.</summary>
    int MaxTextLength { get; }

    Task<DeliveryResult> SendTextAsync(Chat chat, ChatMessage message, CancellationToken cancellationToken);

    Task SendTypingAsync(Chat chat, CancellationToken cancellationToken);
}

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

/// <summary>The gateways this process has, by platform, and what to configure for a missing one.</summary>
public sealed class GatewayRegistry(IEnumerable<IMessengerGateway> gateways)
{
    private readonly Dictionary<string, IMessengerGateway> _byPlatform =
        gateways.ToDictionary(g => g.Platform, StringComparer.OrdinalIgnoreCase);

    public IMessengerGateway? Find(string platform) => _byPlatform.GetValueOrDefault(platform);

    public bool IsConfigured(string platform) => _byPlatform.ContainsKey(platform);

    public static string SettingFor(string platform) => platform switch
    {
        Platforms.Telegram => "TELEGRAM_TOKEN",
        Platforms.Brevo => "BREVO_API_KEY",
        _ => $"a gateway for platform '{platform}'",
    };

    public static string? PlatformForSource(string source) => source switch
    {
        Sources.Telegram => Platforms.Telegram,
        Sources.Instagram => Platforms.Brevo,
        _ => null,
    };
}

public static class TextSplitter
{
    /// <summary>
    /// Splits at paragraph, then line, then sentence, then word boundaries so every part fits; order kept.
    /// </summary>
    public static IReadOnlyList<string> Split(string text, int maxLength)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLength, 16);
        var parts = new List<string>();
        var rest = text.Trim();
        while (rest.Length > maxLength)
        {
            var window = rest.AsSpan(0, maxLength);
            var cut = LastBoundary(window, "\n\n", maxLength / 3)
                ?? LastBoundary(window, "\n", maxLength / 3)
                ?? LastSentenceEnd(window, maxLength / 3)
                ?? LastBoundary(window, " ", maxLength / 3)
                ?? maxLength;
            parts.Add(rest[..cut].TrimEnd());
            rest = rest[cut..].TrimStart();
        }
        if (rest.Length > 0 || parts.Count == 0)
        {
            parts.Add(rest);
        }
        return parts;
    }

    private static int? LastBoundary(ReadOnlySpan<char> window, string separator, int minimum)
    {
        var at = window.LastIndexOf(separator.AsSpan(), StringComparison.Ordinal);
        return at >= minimum ? at + separator.Length : null;
    }

    private static int? LastSentenceEnd(ReadOnlySpan<char> window, int minimum)
    {
        for (var i = window.Length - 2; i >= minimum; i--)
        {
            if (window[i] is '.' or '!' or '?' or '…' && char.IsWhiteSpace(window[i + 1]))
            {
                return i + 1;
            }
        }
        return null;
    }
}
