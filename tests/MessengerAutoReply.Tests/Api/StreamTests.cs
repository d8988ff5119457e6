using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using MessengerAutoReply.ApiHost.Stream;
using MessengerAutoReply.Chats;
using MessengerAutoReply.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace MessengerAutoReply.Tests.Api;

public sealed class StreamTests(ApiFixture fixture) : IClassFixture<ApiFixture>
{
    private readonly CancellationToken _ct = TestContext.Current.CancellationToken;

    private async Task<ChatMessage> Receive(string platformChatId, string messageId, string text, string source = Sources.Telegram)
    {
        var address = new ChatAddress { Source = source, Platform = Platforms.Telegram, PlatformChatId = platformChatId, Name = "Stream" };
        return (await fixture.Service.Grains.GetGrain<IChatGrain>(address.ChatId).ReceiveAsync(new InboundMessage
        {
            Chat = address,
            PlatformMessageId = messageId,
            Content = text,
            Timestamp = DateTimeOffset.UtcNow,
        })).Message!;
    }

    private static JsonElement Data(SseEvent e) => JsonDocument.Parse(e.Data).RootElement;

    private static bool IsMessage(SseEvent e, string content) =>
        e.Event == "update" && Data(e).GetProperty("type").GetString() == "message" && Data(e).GetProperty("record").GetProperty("content").GetString() == content;

    [Fact]
    public async Task Headers_arrive_before_any_event_or_ping_and_the_client_is_already_subscribed()
    {
        // No ping for an hour and a filter no event matches: only the explicit flush can send the headers.
        using var data = new TempDir();
        await using var quiet = await TestService.StartAsync(data.Path, new Dictionary<string, string?> { ["SSE_PING_INTERVAL"] = "1h" });
        var hub = quiet.App.Services.GetRequiredService<ChatEventHub>();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));

        await using var sse = await SseClient.ConnectAsync(quiet.Client, $"/api/stream?chatId=nobody-{Guid.NewGuid():N}", cancellationToken: timeout.Token);

        Assert.Equal(HttpStatusCode.OK, sse.Response.StatusCode);
        Assert.Equal("text/event-stream", sse.Response.Content.Headers.ContentType?.MediaType);
        // Subscribed before the headers went out: an event published the moment the client sees them reaches it.
        Assert.Equal(1, hub.SubscriberCount);
    }

    [Fact]
    public async Task A_posted_message_is_streamed_with_its_delivery_outcome()
    {
        await using var sse = await SseClient.ConnectAsync(fixture.Service.Client, "/api/stream", cancellationToken: _ct);

        using var posted = await fixture.Service.Client.PostAsJsonAsync("/api/messages", new { source = "telegram", platformChatId = "555001", text = "streamed reply" }, _ct);
        Assert.Equal(HttpStatusCode.Accepted, posted.StatusCode);

        var events = await sse.UntilAsync(e => IsMessage(e, "streamed reply"));
        var update = events[^1];
        Assert.NotNull(update.Id);
        var record = Data(update).GetProperty("record");
        Assert.Equal("pending", record.GetProperty("status").GetString());
        // Then the delivery outcome, and the chat change, as events of their own.
        await sse.UntilAsync(e => e.Event == "update" && Data(e).GetProperty("record").TryGetProperty("status", out var s) && s.GetString() == "sent"
            && Data(e).GetProperty("record").GetProperty("content").GetString() == "streamed reply");
    }

    [Fact]
    public async Task A_reconnect_with_Last_Event_ID_replays_what_was_missed()
    {
        var chat = Random.Shared.NextInt64(1_000_000, long.MaxValue).ToString();
        string lastId;
        await using (var first = await SseClient.ConnectAsync(fixture.Service.Client, "/api/stream?source=telegram", cancellationToken: _ct))
        {
            await Receive(chat, "1", "seen live");
            var seen = await first.UntilAsync(e => IsMessage(e, "seen live"));
            lastId = seen[^1].Id!;
        }

        await Receive(chat, "2", "missed one");
        await Receive(chat, "3", "missed two");

        await using var second = await SseClient.ConnectAsync(fixture.Service.Client, "/api/stream?source=telegram", lastId, _ct);
        var replayed = await second.UntilAsync(e => IsMessage(e, "missed two"));
        Assert.Contains(replayed, e => IsMessage(e, "missed one"));
        Assert.DoesNotContain(replayed, e => IsMessage(e, "seen live"));
        Assert.True(replayed.FindIndex(e => IsMessage(e, "missed one")) < replayed.FindIndex(e => IsMessage(e, "missed two")));

        // The query form, for clients that recreate their EventSource, works the same.
        await using var third = await SseClient.ConnectAsync(fixture.Service.Client, $"/api/stream?source=telegram&lastEventId={Uri.EscapeDataString(lastId)}", cancellationToken: _ct);
        await third.UntilAsync(e => IsMessage(e, "missed two"));
    }

    [Fact]
    public async Task An_id_this_host_does_not_hold_gets_a_resync()
    {
        await using var sse = await SseClient.ConnectAsync(fixture.Service.Client, "/api/stream", "deadbeef-42", _ct);
        var first = await sse.NextAsync();
        Assert.Equal("resync", first.Event);
    }

    [Fact]
    public async Task The_stream_is_filtered_by_chat_and_by_source()
    {
        var wanted = await Receive("700001", "0", "warm-up");
        await using var byChat = await SseClient.ConnectAsync(fixture.Service.Client, $"/api/stream?chatId={wanted.ChatId}", cancellationToken: _ct);
        await using var bySource = await SseClient.ConnectAsync(fixture.Service.Client, "/api/stream?source=instagram", cancellationToken: _ct);

        await Receive("700002", "1", "other chat");
        await Receive("700003", "1", "from instagram", Sources.Instagram);
        await Receive("700001", "1", "wanted chat");

        var chatEvents = await byChat.UntilAsync(e => IsMessage(e, "wanted chat"));
        Assert.All(chatEvents.Where(e => e.Event == "update"), e =>
        {
            var record = Data(e).GetProperty("record");
            var id = record.TryGetProperty("chatId", out var c) ? c.GetString() : record.GetProperty("id").GetString();
            Assert.Equal(wanted.ChatId, id);
        });
        var sourceEvents = await bySource.UntilAsync(e => IsMessage(e, "from instagram"));
        Assert.All(sourceEvents.Where(e => e.Event == "update"), e => Assert.Equal("instagram", Data(e).GetProperty("record").GetProperty("source").GetString()));
    }

    [Fact]
    public async Task Idle_streams_get_ping_events()
    {
        await using var sse = await SseClient.ConnectAsync(fixture.Service.Client, "/api/stream?chatId=nosuchchatxxxxx", cancellationToken: _ct);
        var ping = await sse.NextAsync(TimeSpan.FromSeconds(5), includePings: true);
        Assert.Equal("ping", ping.Event);
    }
}

public sealed class StreamShutdownTests
{
    [Fact]
    public async Task Stopping_the_host_ends_open_streams_at_once()
    {
        using var data = new TempDir();
        var service = await TestService.StartAsync(data.Path);
        await using var sse = await SseClient.ConnectAsync(service.Client, "/api/stream", cancellationToken: TestContext.Current.CancellationToken);
        var stopping = Stopwatch.StartNew();
        await service.DisposeAsync();
        // Without ending streams on shutdown a connected client holds the host for the 30 s shutdown timeout.
        Assert.True(stopping.Elapsed < TimeSpan.FromSeconds(10), $"stopped in {stopping.Elapsed}");
        await Eventually.True(() => sse.Ended, what: "stream ended");
    }
}
