namespace MessengerAutoReply.Telegram;

[GenerateSerializer, Alias("MessengerAutoReply.Telegram.TelegramParkedUpdatesState")]
public sealed class TelegramParkedUpdatesState
{
    [Id(0)] public List<ParkedUpdate> Items { get; set; } = [];
    /// <summary>Parked updates dropped to keep the list bounded (the oldest first).</summary>
    [Id(1)] public long Dropped { get; set; }
}
