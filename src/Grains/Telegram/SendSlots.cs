namespace MessengerAutoReply.Telegram;

/// <summary>Start times spaced evenly by the bot-wide window (TELEGRAM_RATE_PER_SECOND plus the pacing margin).</summary>
public sealed class SendSlots(TelegramOptions options, TimeProvider time)
{
    private readonly Lock _gate = new();
    private DateTimeOffset _next = DateTimeOffset.MinValue;

    public DateTimeOffset[] Reserve(int count)
    {
        var spacing = (options.GlobalWindow + options.PacingMargin) / options.GlobalLimit;
        var slots = new DateTimeOffset[Math.Clamp(count, 1, 64)];
        lock (_gate)
        {
            var now = time.GetUtcNow();
            for (var i = 0; i < slots.Length; i++)
            {
                var at = _next > now ? _next : now;
                slots[i] = at;
                _next = at + spacing;
            }
        }
        return slots;
    }
}
