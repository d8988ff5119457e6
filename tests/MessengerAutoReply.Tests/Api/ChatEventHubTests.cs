using MessengerAutoReply.ApiHost.Stream;
using MessengerAutoReply.Chats;

namespace MessengerAutoReply.Tests.Api;

/// <summary>The SSE fan-out on its own: replay ring, slow clients, and what a reconnect gets.</summary>
public sealed class ChatEventHubTests
{
    private static ChatEvent Event(string chatId) =>
        ChatEvent.For(new Chat { Id = chatId, PlatformChatId = chatId, Source = Sources.Telegram, Platform = Platforms.Telegram });

    [Fact]
    public void A_reconnect_whose_last_id_fell_out_of_the_replay_buffer_gets_resync_not_a_partial_replay()
    {
        var hub = new ChatEventHub(new StreamOptions { ReplayBuffer = 3 });
        hub.Publish(Event("a"));
        var firstId = $"{hub.Epoch}-1";
        hub.Publish(Event("b"));
        // Still inside the buffer: the gap (event 2) is replayed, no resync.
        using (var inside = hub.Subscribe(null, null, firstId))
        {
            Assert.False(inside.Resync);
            Assert.Equal([$"{hub.Epoch}-2"], inside.Replay.Select(e => e.EventId));
        }

        // Three more events overwrite event 2 in a ring of three: from id 1 the gap cannot be replayed whole.
        hub.Publish(Event("c"));
        hub.Publish(Event("d"));
        hub.Publish(Event("e"));
        using var overflowed = hub.Subscribe(null, null, firstId);
        Assert.True(overflowed.Resync);
        Assert.Empty(overflowed.Replay);
    }

    [Fact]
    public void A_slow_client_is_dropped_and_the_others_get_every_event_without_waiting()
    {
        var hub = new ChatEventHub(new StreamOptions { ClientBuffer = 2 });
        using var slow = hub.Subscribe(null, null, null);
        using var fast = hub.Subscribe(null, null, null);
        var received = new List<string>();
        for (var i = 0; i < 10; i++)
        {
            // Publish never waits for a reader: it returns at once whatever the slow client does.
            hub.Publish(Event($"chat-{i}"));
            while (fast.Reader.TryRead(out var e))
            {
                received.Add(e.ChatId);
            }
        }

        Assert.Equal(Enumerable.Range(0, 10).Select(i => $"chat-{i}"), received);
        // The slow one got what fit in its buffer, then its stream was ended (it reconnects with Last-Event-ID).
        var kept = new List<string>();
        while (slow.Reader.TryRead(out var e))
        {
            kept.Add(e.ChatId);
        }
        Assert.Equal(["chat-0", "chat-1"], kept);
        Assert.True(slow.Reader.Completion.IsCompleted);
        Assert.Equal(1, hub.SubscriberCount);
    }
}
