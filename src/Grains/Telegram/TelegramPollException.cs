namespace MessengerAutoReply.Telegram;

/// <summary>A getUpdates call the Bot API (or whatever answers in its place) refused: its error_code, or the HTTP status.</summary>
public sealed class TelegramPollException(int statusCode, string description, TimeSpan? retryAfter = null)
    : Exception($"{statusCode} {description}")
{
    public int StatusCode { get; } = statusCode;

    public string Description { get; } = description;

    public TimeSpan? RetryAfter { get; } = retryAfter;
}
