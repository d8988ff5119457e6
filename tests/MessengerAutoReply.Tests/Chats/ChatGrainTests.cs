using MessengerAutoReply.Events;
using System.Collections.Concurrent;
using MessengerAutoReply.Chats;
using MessengerAutoReply.Delivery;
using MessengerAutoReply.Tests.Infrastructure;
using Orleans.Runtime;
using Orleans.Streams;

namespace MessengerAutoReply.Tests.Chats;

/// <summary>ChatGrain on a 3-silo cluster with Redis grain storage.</summary>
public sealed class ChatGrainTests(ChatClusterFixture fixture) : IClassFixture<ChatClusterFixture>
{
    private readonly CancellationToken _ct = TestContext.Current.CancellationToken;

    private static ChatAddress NewAddress(string? name = "Ivan Petrov") => new()
    {
        Source = Sources.Telegram,
        Platform = Platforms.Telegram,
        PlatformChatId = Random.Shared.NextInt64(1_000_000, long.MaxValue).ToString(),
        Name = name,
    };

    private static InboundMessage Text(ChatAddress chat, string platformMessageId, string text) => new()
    {
        Chat = chat,
        PlatformMessageId = platformMessageId,
        Content = text,
        SenderId = chat.PlatformChatId,
        SenderName = chat.Name,
        Timestamp = DateTimeOffset.UtcNow,
    };

    private IChatGrain Grain(ChatAddress chat) => fixture.Client.GetGrain<IChatGrain>(chat.ChatId);

    [Fact]
    public async Task Receive_stores_the_message_and_creates_the_chat()
    {
        var address = NewAddress();
        var result = await Grain(address).ReceiveAsync(Text(address, "1", "hello"));

        Assert.Equal(ReceiveOutcome.Accepted, result.Outcome);
        var message = result.Message!;
        Assert.Equal(ChatIds.ForIncoming(address.ChatId, "1"), message.Id);
        Assert.True(ChatIds.IsValid(message.Id));
        Assert.True(message.IsIncoming);
        Assert.Equal("hello", message.Content);
        Assert.Equal(MessageStatus.Received, message.Status);

        var chat = await Grain(address).GetAsync();
        Assert.NotNull(chat);
        Assert.Equal(address.ChatId, chat.Id);
        Assert.Equal("Ivan Petrov", chat.Name);
        Assert.True(chat.AutoMode);
        Assert.Equal("hello", chat.LastMessage);
    }

    [Fact]
    public async Task The_same_platform_message_twice_is_one_message()
    {
        var address = NewAddress();
        var first = await Grain(address).ReceiveAsync(Text(address, "7", "once"));
        var second = await Grain(address).ReceiveAsync(Text(address, "7", "once"));

        Assert.Equal(ReceiveOutcome.Accepted, first.Outcome);
        Assert.Equal(ReceiveOutcome.Duplicate, second.Outcome);
        Assert.Equal(first.Message!.Id, second.Message!.Id);
        var page = await Eventually.Get(() => ArchiveMessages(address.ChatId), p => p.TotalItems >= 1);
        Assert.Equal(1, page.TotalItems);
    }

    [Fact]
    public async Task An_edit_updates_the_stored_message_in_place()
    {
        var address = NewAddress();
        await Grain(address).ReceiveAsync(Text(address, "3", "helo"));
        var edit = await Grain(address).ReceiveAsync(Text(address, "3", "hello") with { IsEdit = true });

        Assert.Equal(ReceiveOutcome.Updated, edit.Outcome);
        Assert.Equal("hello", edit.Message!.Content);
        var page = await Eventually.Get(() => ArchiveMessages(address.ChatId), p => p.Items.Count == 1 && p.Items[0].Content == "hello");
        Assert.Single(page.Items);
    }

    [Fact]
    public async Task Send_stores_pending_then_delivers_once_and_keeps_the_platform_id()
    {
        var address = NewAddress();
        var result = await Grain(address).SendAsync(new OutboundRequest { Chat = address, Text = "Hi there", DeliveryKey = "k1", ResponseMode = ResponseModes.Api });

        Assert.Equal(SendOutcome.Accepted, result.Outcome);
        var pending = Assert.Single(result.Messages);
        Assert.Equal(MessageStatus.Pending, pending.Status);
        Assert.Equal("pending:k1", pending.PlatformMessageId);
        Assert.Equal(ChatIds.ForOutgoing(address.ChatId, "k1"), pending.Id);

        await Eventually.True(() => fixture.Gateway.SentTo(address.ChatId).Count == 1, what: "delivered");
        var stored = await Eventually.Get(() => ArchiveMessages(address.ChatId), p => p.Items.Count == 1 && p.Items[0].Status == MessageStatus.Sent);
        Assert.False(stored.Items[0].PlatformMessageId.StartsWith("pending:", StringComparison.Ordinal));

        // The same delivery key again (a client retry) is the same message, not a second send.
        var again = await Grain(address).SendAsync(new OutboundRequest { Chat = address, Text = "Hi there", DeliveryKey = "k1", ResponseMode = ResponseModes.Api });
        Assert.Equal(SendOutcome.Duplicate, again.Outcome);
        Assert.Equal(pending.Id, again.Messages[0].Id);
        await Task.Delay(300, _ct);
        Assert.Single(fixture.Gateway.SentTo(address.ChatId));
    }

    [Fact]
    public async Task A_long_reply_is_split_into_ordered_messages()
    {
        var address = NewAddress();
        var paragraph = string.Join(' ', Enumerable.Repeat("word", 600));
        var text = $"{paragraph}\n\n{paragraph}\n\n{paragraph}";
        var result = await Grain(address).SendAsync(new OutboundRequest { Chat = address, Text = text, DeliveryKey = "long", ResponseMode = ResponseModes.Api });

        Assert.True(result.Messages.Count >= 2);
        Assert.All(result.Messages, m => Assert.True(m.Content!.Length <= fixture.Gateway.MaxTextLength));
        await Eventually.True(() => fixture.Gateway.SentTo(address.ChatId).Count == result.Messages.Count, what: "all parts sent");
        Assert.Equal(result.Messages.Select(m => m.Id), fixture.Gateway.SentTo(address.ChatId).Select(m => m.Id));
    }

    [Fact]
    public async Task An_operator_message_takes_the_chat_over()
    {
        var address = NewAddress();
        await Grain(address).ReceiveAsync(Text(address, "1", "hi"));
        Assert.True((await Grain(address).GetAsync())!.AutoMode);

        await Grain(address).SendAsync(new OutboundRequest { Text = "A human here", DeliveryKey = "op", ResponseMode = ResponseModes.Operator });
        Assert.False((await Grain(address).GetAsync())!.AutoMode);
    }

    [Fact]
    public async Task AutoMode_is_set_and_an_unknown_chat_is_null()
    {
        var address = NewAddress();
        Assert.Null(await Grain(address).SetAutoModeAsync(false));
        Assert.Null(await Grain(address).GetAsync());

        await Grain(address).ReceiveAsync(Text(address, "1", "hi"));
        var chat = await Grain(address).SetAutoModeAsync(false);
        Assert.False(chat!.AutoMode);
    }

    [Fact]
    public async Task A_transient_failure_is_retried_and_a_permanent_one_marks_the_message_failed()
    {
        var address = NewAddress();
        fixture.Gateway.Script(DeliveryResult.Transient("502 Bad Gateway"), DeliveryResult.Transient("timeout"));
        await Grain(address).SendAsync(new OutboundRequest { Chat = address, Text = "retry me", DeliveryKey = "t", ResponseMode = ResponseModes.Api });
        await Eventually.True(() => fixture.Gateway.SentTo(address.ChatId).Count == 1, what: "sent after retries");

        var blocked = NewAddress();
        fixture.Gateway.Script(DeliveryResult.Rejected("Forbidden: bot was blocked by the user", chatUnreachable: true));
        await Grain(blocked).SendAsync(new OutboundRequest { Chat = blocked, Text = "nobody hears", DeliveryKey = "b", ResponseMode = ResponseModes.Api });
        var page = await Eventually.Get(() => ArchiveMessages(blocked.ChatId), p => p.Items.Count == 1 && p.Items[0].Status == MessageStatus.Failed);
        Assert.Contains("blocked", page.Items[0].Error);
        var chat = await Grain(blocked).GetAsync();
        Assert.Contains("blocked", chat!.Error);
    }

    [Fact]
    public async Task A_media_file_is_fetched_after_acceptance_and_attached_to_its_message()
    {
        var address = NewAddress();
        var bytes = new byte[] { 0x4f, 0x67, 0x67, 0x53, 1, 2, 3 };
        fixture.Fetcher.Files["voice-1"] = MessengerAutoReply.Media.MediaFetchResult.Of(new("telegram", "voice.ogg", "audio/ogg", bytes));
        var voice = Text(address, "v1", "") with
        {
            Type = MessageTypes.Voice,
            Content = null,
            Media = new MessengerAutoReply.Media.MediaRef { Platform = Platforms.Telegram, PlatformFileId = "voice-1", UniqueId = "u-voice-1" },
        };
        var accepted = await Grain(address).ReceiveAsync(voice);
        Assert.Null(accepted.Message!.MediaFileId);

        var page = await Eventually.Get(() => ArchiveMessages(address.ChatId), p => p.Items.Count == 1 && p.Items[0].MediaFileId is not null);
        var stored = page.Items[0];
        Assert.Equal("audio/ogg", stored.MimeType);
        var store = (MessengerAutoReply.Media.IMediaStore)fixture.Cluster.Silos[0].ServiceProvider.GetService(typeof(MessengerAutoReply.Media.IMediaStore))!;
        await using var file = await store.OpenAsync(stored.MediaFileId!, _ct);
        using var copy = new MemoryStream();
        await file!.Content.CopyToAsync(copy, _ct);
        Assert.Equal(bytes, copy.ToArray());

        // A file the platform cannot give (gone, too big) leaves the message stored, with the reason.
        var missing = Text(address, "v2", "") with
        {
            Type = MessageTypes.Document,
            Media = new MessengerAutoReply.Media.MediaRef { Platform = Platforms.Telegram, PlatformFileId = "nope" },
        };
        var second = await Grain(address).ReceiveAsync(missing);
        var after = await Eventually.Get(() => ArchiveMessages(address.ChatId), p => p.Items.Any(m => m.Id == second.Message!.Id && m.Error is not null));
        Assert.Null(after.Items.Single(m => m.Id == second.Message!.Id).MediaFileId);
    }

    [Fact]
    public async Task Every_change_is_published_on_the_stream()
    {
        // An API host's side of cluster mode: an observer registered with the host list, fed by every silo's sink.
        var host = new LocalChatEvents();
        var received = new ConcurrentQueue<ChatEvent>();
        using var subscription = host.Subscribe(received.Enqueue);
        var observer = fixture.Client.CreateObjectReference<IChatEventObserver>(new ChatEventObserver(host));
        await fixture.Client.GetGrain<IChatEventHostsGrain>(0).RenewAsync(observer, ChatEventHostLease.Lease);
        var address = NewAddress();
        var probes = 0;
        // A silo reads the host list at most once per refresh: the first events may go out before it sees this one.
        await Eventually.Get(async () =>
        {
            await Grain(address).ReceiveAsync(Text(address, $"probe{probes++}", "probe"));
            return received.Any(e => e.ChatId == address.ChatId);
        }, seen => seen, what: "the new host on the silo's list");

        await Grain(address).ReceiveAsync(Text(address, "1", "stream me"));
        await Grain(address).SetAutoModeAsync(false);

        await Eventually.True(() => received.Any(e => e.ChatId == address.ChatId && e.Type == ChatEvent.ChatType && e.Chat!.AutoMode == false),
            what: "message, chat and autoMode events");
        var mine = received.Where(e => e.ChatId == address.ChatId).ToList();
        Assert.Contains(mine, e => e.Type == ChatEvent.MessageType && e.Message!.Content == "stream me");
        Assert.Contains(mine, e => e.Type == ChatEvent.ChatType && e.Chat!.LastMessage == "stream me");
    }

    [Fact]
    public async Task State_survives_deactivation()
    {
        var address = NewAddress();
        await Grain(address).ReceiveAsync(Text(address, "1", "remember me"));
        await Grain(address).SetAutoModeAsync(false);

        var management = fixture.Client.GetGrain<IManagementGrain>(0);
        await management.ForceActivationCollection(TimeSpan.Zero, _ct);

        var chat = await Grain(address).GetAsync();
        Assert.NotNull(chat);
        Assert.False(chat.AutoMode);
        Assert.Equal(ReceiveOutcome.Duplicate, (await Grain(address).ReceiveAsync(Text(address, "1", "remember me"))).Outcome);
    }

    [Fact]
    public async Task State_survives_the_loss_of_the_silo_that_hosted_the_chat()
    {
        var address = NewAddress();
        await Grain(address).ReceiveAsync(Text(address, "1", "before the crash"));
        await Grain(address).SetAutoModeAsync(false);

        // Make sure the chat lives on a secondary silo (the primary hosts the test membership table).
        var primary = fixture.Cluster.Silos[0];
        var host = FindHost(address.ChatId);
        for (var attempt = 0; host == primary.SiloAddress && attempt < 50; attempt++)
        {
            address = NewAddress();
            await Grain(address).ReceiveAsync(Text(address, "1", "before the crash"));
            await Grain(address).SetAutoModeAsync(false);
            host = FindHost(address.ChatId);
        }
        Assert.NotEqual(primary.SiloAddress, host);
        var victim = fixture.Cluster.Silos.First(s => s.SiloAddress == host);

        await fixture.Cluster.KillSiloAsync(victim, _ct);
        await fixture.Cluster.StartAdditionalSiloAsync();

        var chat = await Grain(address).GetAsync();
        Assert.NotNull(chat);
        Assert.False(chat.AutoMode);
        Assert.Equal("before the crash", chat.LastMessage);
        Assert.NotEqual(host, FindHost(address.ChatId));
    }

    private SiloAddress? FindHost(string chatId)
    {
        return fixture.Cluster.TryGetGrainContext(fixture.Client.GetGrain<IChatGrain>(chatId).GetGrainId(), out var context)
            ? context.Address.SiloAddress
            : null;
    }

    private Task<Archive.Paged<ChatMessage>> ArchiveMessages(string chatId) =>
        Archive().ListMessagesAsync(chatId, new Archive.MessageQuery(1, 100), _ct);

    private Archive.IChatArchive Archive() =>
        (Archive.IChatArchive)fixture.Cluster.Silos[0].ServiceProvider.GetService(typeof(Archive.IChatArchive))!;
}
