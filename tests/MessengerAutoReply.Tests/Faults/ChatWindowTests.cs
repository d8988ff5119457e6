using MessengerAutoReply.Chats;
using MessengerAutoReply.Delivery;
using MessengerAutoReply.Tests.Infrastructure;

namespace MessengerAutoReply.Tests.Faults;

/// <summary>The chat grain's windows of issue #13: failed state writes and lost completion reports.</summary>
public sealed class ChatWindowTests(FaultyChatSilo silo) : IClassFixture<FaultyChatSilo>
{
    private static ChatAddress NewAddress() => new()
    {
        Source = Sources.Telegram,
        Platform = Platforms.Telegram,
        PlatformChatId = Random.Shared.NextInt64(1_000_000, long.MaxValue).ToString(System.Globalization.CultureInfo.InvariantCulture),
        Name = "Window",
    };

    private static InboundMessage Text(ChatAddress chat, string id, string text) => new()
    {
        Chat = chat,
        PlatformMessageId = id,
        Content = text,
        SenderId = chat.PlatformChatId,
        Timestamp = DateTimeOffset.UtcNow,
    };

    private IChatGrain Grain(ChatAddress chat) => silo.Client.GetGrain<IChatGrain>(chat.ChatId);

    [Fact]
    public async Task A_failed_state_write_leaves_nothing_behind_and_the_retry_is_accepted()
    {
        var address = NewAddress();
        await Grain(address).ReceiveAsync(Text(address, "1", "first"));

        silo.Storage.FailWrites = true;
        try
        {
            await Assert.ThrowsAnyAsync<Exception>(() => Grain(address).ReceiveAsync(Text(address, "2", "never stored")));
        }
        finally
        {
            silo.Storage.FailWrites = false;
        }
        // Telegram's retry of the same update: it must be stored now, not answered as a duplicate.
        var retry = await Grain(address).ReceiveAsync(Text(address, "2", "never stored"));
        Assert.Equal(ReceiveOutcome.Accepted, retry.Outcome);
        Assert.Equal("never stored", (await Grain(address).GetAsync())!.LastMessage);
    }

    [Fact]
    public async Task A_failed_write_of_an_outgoing_message_is_not_delivered_and_its_retry_is()
    {
        var address = NewAddress();
        silo.Storage.FailWrites = true;
        try
        {
            await Assert.ThrowsAnyAsync<Exception>(() => Grain(address).SendAsync(new OutboundRequest { Chat = address, Text = "lost?", DeliveryKey = "w1", ResponseMode = ResponseModes.Api }));
        }
        finally
        {
            silo.Storage.FailWrites = false;
        }
        var again = await Grain(address).SendAsync(new OutboundRequest { Chat = address, Text = "lost?", DeliveryKey = "w1", ResponseMode = ResponseModes.Api });
        Assert.Equal(SendOutcome.Accepted, again.Outcome);
        await Eventually.True(() => silo.Gateway.SentTo(address.ChatId).Count == 1, what: "delivered once");
    }

    [Fact]
    public async Task A_lost_delivery_report_does_not_stop_the_chat_for_good()
    {
        var address = NewAddress();
        silo.Drops.DropNext(nameof(IChatWorkReports.DeliveryCompletedAsync));
        silo.Gateway.Script(DeliveryResult.Transient("502 Bad Gateway"));
        await Grain(address).SendAsync(new OutboundRequest { Chat = address, Text = "after a lost report", DeliveryKey = "d1", ResponseMode = ResponseModes.Api });

        // The failed attempt's report was lost; the chat must try again once the attempt's lease runs out.
        await Eventually.True(() => silo.Gateway.SentTo(address.ChatId).Count == 1, TimeSpan.FromSeconds(15), "delivered after the lost report");
        Assert.Equal(1, silo.Drops.Dropped(nameof(IChatWorkReports.DeliveryCompletedAsync)));
    }

    [Fact]
    public async Task A_lost_archive_report_does_not_stop_archiving_for_good()
    {
        var address = NewAddress();
        silo.Drops.DropNext(nameof(IChatWorkReports.ArchiveCompletedAsync));
        await Grain(address).ReceiveAsync(Text(address, "1", "archived?"));

        await Eventually.Get(() => Grain(address).GetUnarchivedAsync().AsTask(), l => l.Count == 0, TimeSpan.FromSeconds(15), "archive backlog flushed after the lost report");
        Assert.Equal(1, silo.Drops.Dropped(nameof(IChatWorkReports.ArchiveCompletedAsync)));
    }
}
