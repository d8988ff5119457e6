using MessengerAutoReply.Chats;
using MessengerAutoReply.Tests.Infrastructure;

namespace MessengerAutoReply.Tests.Faults;

/// <summary>Work a chat starts by its own timer survives a failed state write: the timer comes back.</summary>
public sealed class ChatTimerWindowTests(UnsweptChatSiloFixture silo) : IClassFixture<UnsweptChatSiloFixture>
{
    [Fact]
    public async Task A_hand_back_whose_write_fails_happens_once_storage_is_back_without_any_call()
    {
        var address = new ChatAddress
        {
            Source = Sources.Telegram,
            Platform = Platforms.Telegram,
            PlatformChatId = Random.Shared.NextInt64(1_000_000, long.MaxValue).ToString(System.Globalization.CultureInfo.InvariantCulture),
            Name = "Timer",
        };
        var grain = silo.Client.GetGrain<IChatGrain>(address.ChatId);
        await grain.ReceiveAsync(new InboundMessage { Chat = address, PlatformMessageId = "1", Content = "hi", SenderId = "c" });
        var writes = silo.Storage.Writes;
        await grain.SendAsync(new OutboundRequest { Text = "a person here", DeliveryKey = "t1" });
        var handBackDue = DateTimeOffset.UtcNow + TimeSpan.FromSeconds(1);
        // Delivered and its report written before the outage (the send's write, then the report's): the hand-back
        // is the only work left on the chat's timer.
        await Eventually.True(() => silo.Gateway.SentTo(address.ChatId).Count == 1 && silo.Storage.Writes >= writes + 2, what: "the reply sent and reported");
        Assert.False((await grain.GetAsync())!.AutoMode);

        silo.Storage.FailWrites = true;
        try
        {
            while (DateTimeOffset.UtcNow < handBackDue)
            {
                await Task.Delay(50, TestContext.Current.CancellationToken);
            }
            var failed = silo.Storage.FailedWrites;
            // The hand-back came due during the outage and its write failed.
            await Eventually.True(() => silo.Storage.FailedWrites > failed, TimeSpan.FromSeconds(10), "the hand-back's write refused");
        }
        finally
        {
            silo.Storage.FailWrites = false;
        }
        // No call reaches the grain from here on but the reads: its own timer must retry the hand-back.
        var chat = await Eventually.Get(() => grain.GetAsync().AsTask(), c => c!.AutoMode, TimeSpan.FromSeconds(10), "handed back after the outage");
        Assert.True(chat!.AutoMode);
    }
}
