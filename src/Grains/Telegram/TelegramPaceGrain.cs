using MessengerAutoReply.Chats;
using Microsoft.Extensions.DependencyInjection;

namespace MessengerAutoReply.Telegram;

/// <summary>
/// Hands out the bot's send slots (<see cref="SendSlots"/>). Kept in memory: if the activation moves (its silo
/// died), the new one starts from now, so at most the slots handed out and not yet used (a fraction of a second's
/// worth) can overlap with the new ones.
/// </summary>
public sealed class TelegramPaceGrain(TelegramOptions options, [FromKeyedServices(ChatClock.Key)] TimeProvider time) : Grain, ITelegramPaceGrain
{
    private readonly SendSlots _slots = new(options, time);

    public Task<DateTimeOffset[]> ReserveAsync(int count) => Task.FromResult(_slots.Reserve(count));
}
