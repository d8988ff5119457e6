namespace MessengerAutoReply.Telegram;

/// <summary>An update set aside: its raw JSON as Telegram sent it, why, and after how many attempts.</summary>
[GenerateSerializer, Immutable, Alias("MessengerAutoReply.Telegram.ParkedUpdate")]
public sealed record ParkedUpdate
{
    [Id(0)] public required int UpdateId { get; init; }
    [Id(1)] public required string Json { get; init; }
    /// <summary><c>unreadable</c> (the SDK or the mapper cannot read it) or <c>refused</c> (its chat kept refusing it).</summary>
    [Id(2)] public required string Reason { get; init; }
    /// <summary>The last error's type and message (no secret: Bot API URLs never reach it).</summary>
    [Id(3)] public string? Error { get; init; }
    [Id(4)] public int Attempts { get; init; }
    [Id(5)] public DateTimeOffset ParkedAt { get; init; }
}
