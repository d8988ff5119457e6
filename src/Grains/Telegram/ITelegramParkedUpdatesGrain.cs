namespace MessengerAutoReply.Telegram;

/// <summary>
/// Updates the receiver set aside so they no longer hold the bot's offset: each kept durably with its update_id,
/// raw JSON and the reason, newest last (at most <see cref="TelegramParkedUpdatesGrain.MaxKept"/>). Parking the same
/// update_id again (a crash between parking and confirming) replaces it, so nothing is kept twice.
/// </summary>
public interface ITelegramParkedUpdatesGrain : IGrainWithStringKey
{
    public const string Key = "telegram";

    Task ParkAsync(IReadOnlyList<ParkedUpdate> updates);

    Task<IReadOnlyList<ParkedUpdate>> ListAsync();
}
