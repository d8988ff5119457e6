using MessengerAutoReply.Chats;
using MessengerAutoReply.Fakes.Telegram;
using MessengerAutoReply.Telegram;
using MessengerAutoReply.Tests.Infrastructure;

namespace MessengerAutoReply.Tests.Telegram;

public sealed class TelegramFailoverTests(TelegramChatClusterFixture fixture) : IClassFixture<TelegramChatClusterFixture>
{
    [Fact]
    public async Task One_poller_in_the_cluster_and_another_silo_takes_over_when_its_silo_dies()
    {
        var first = fixture.Telegram.EnqueueText("before the crash");
        await StoredAsync(first.ChatId!.Value, TimeSpan.FromSeconds(30));

        var receiver = fixture.Client.GetGrain<ITelegramReceiverGrain>(ITelegramReceiverGrain.Key).GetGrainId();
        var hosts = fixture.Cluster.Silos.Where(s => fixture.Cluster.TryGetGrainContext(receiver, out var c) && c.Address.SiloAddress == s.SiloAddress).ToList();
        var host = Assert.Single(hosts);
        // Exactly one poller: the fake answers a second concurrent getUpdates with 409 and counts it.
        Assert.DoesNotContain(fixture.Telegram.Calls, c => c.Method.Equals("getUpdates", StringComparison.OrdinalIgnoreCase) && c.StatusCode == 409);

        await fixture.Cluster.KillSiloAsync(host, TestContext.Current.CancellationToken);
        var second = fixture.Telegram.EnqueueText("after the crash");
        await StoredAsync(second.ChatId!.Value, TimeSpan.FromSeconds(30));
        var now = await Eventually.Get(
            () => Task.FromResult(fixture.Cluster.TryGetGrainContext(receiver, out var context) ? context.Address.SiloAddress : null),
            a => a is not null, what: "the poller active on a surviving silo");
        Assert.NotEqual(host.SiloAddress, now);
    }

    private Task<Chat?> StoredAsync(long telegramChatId, TimeSpan timeout) =>
        Eventually.Get(() => fixture.Client.GetGrain<IChatGrain>(ChatIds.ForChat(Sources.Telegram, telegramChatId.ToString())).GetAsync().AsTask(),
            c => c is not null, timeout, $"chat {telegramChatId} stored");
}
