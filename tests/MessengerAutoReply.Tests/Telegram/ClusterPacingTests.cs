using System.Collections.Concurrent;
using MessengerAutoReply.Delivery;
using MessengerAutoReply.Telegram;
using Microsoft.Extensions.Logging.Abstractions;

namespace MessengerAutoReply.Tests.Telegram;

/// <summary>
/// Decision 10's bot-wide budget with several silos: two send queues (two silos) drawing slots from one
/// <see cref="SendSlots"/> (the pace grain's) start no more sends per window than one queue alone may.
/// </summary>
public sealed class ClusterPacingTests
{
    [Fact]
    public async Task Two_silos_together_stay_under_the_bot_wide_rate()
    {
        var options = new TelegramOptions
        {
            Token = "1:x",
            WebhookSecret = "s",
            GlobalLimit = 20,
            GlobalWindow = TimeSpan.FromSeconds(1),
            PacingMargin = TimeSpan.FromMilliseconds(50),
            PrivateChatInterval = TimeSpan.FromMilliseconds(10),
        };
        var slots = new SendSlots(options, TimeProvider.System);
        Task<DateTimeOffset[]> Reserve(int count) => Task.FromResult(slots.Reserve(count));
        using var silo1 = new TelegramSendQueue(options, TimeProvider.System, NullLogger<TelegramSendQueue>.Instance, Reserve);
        using var silo2 = new TelegramSendQueue(options, TimeProvider.System, NullLogger<TelegramSendQueue>.Instance, Reserve);
        var starts = new ConcurrentQueue<DateTimeOffset>();
        Task<TelegramSendQueue.Attempt> Send(CancellationToken _)
        {
            starts.Enqueue(DateTimeOffset.UtcNow);
            return Task.FromResult(TelegramSendQueue.Attempt.Done(DeliveryResult.Success("1")));
        }

        var ct = TestContext.Current.CancellationToken;
        await Task.WhenAll(Enumerable.Range(0, 50).Select(i => (i % 2 == 0 ? silo1 : silo2).SendAsync(i, false, Send, ct)));

        // Each queue alone would start 20 in its first second; together they must not start more than the bot may.
        var sorted = starts.Order().ToList();
        var busiest = sorted.Max(t => sorted.Count(u => u >= t && u < t + options.GlobalWindow));
        Assert.InRange(busiest, 15, options.GlobalLimit + 1);
    }
}
