using Microsoft.Extensions.Logging;

namespace MessengerAutoReply.Telegram;

public sealed partial class TelegramParkedUpdatesGrain(
    [PersistentState("telegram-parked", Chats.StorageNames.Chats)] IPersistentState<TelegramParkedUpdatesState> state,
    ILogger<TelegramParkedUpdatesGrain> logger) : Grain, ITelegramParkedUpdatesGrain
{
    /// <summary>A poison update is rare; a thousand of them is an incident someone reads in the log first.</summary>
    public const int MaxKept = 1000;

    public async Task ParkAsync(IReadOnlyList<ParkedUpdate> updates)
    {
        var items = state.State.Items;
        foreach (var update in updates)
        {
            items.RemoveAll(p => p.UpdateId == update.UpdateId);
            items.Add(update);
        }
        var over = items.Count - MaxKept;
        if (over > 0)
        {
            LogDropped(over, items[over - 1].UpdateId);
            items.RemoveRange(0, over);
            state.State.Dropped += over;
        }
        try
        {
            await state.WriteStateAsync();
        }
        catch
        {
            // A failed write leaves nothing behind: the receiver parks them again on its next attempt.
            await state.ReadStateAsync();
            throw;
        }
    }

    public Task<IReadOnlyList<ParkedUpdate>> ListAsync() => Task.FromResult<IReadOnlyList<ParkedUpdate>>([.. state.State.Items]);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Telegram: {Count} parked updates dropped to keep the last 1000 (up to update {UpdateId})")]
    private partial void LogDropped(int count, int updateId);
}
