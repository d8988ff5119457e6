using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using MessengerAutoReply.Archive;
using MessengerAutoReply.Chats;
using MessengerAutoReply.Media;
using MessengerAutoReply.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using static MessengerAutoReply.Tests.PocketBase.PocketBaseTestKit;

namespace MessengerAutoReply.Tests.PocketBase;

/// <summary>
/// The real API host writing through to the run's shared PocketBase 0.22.20. Each test uses its own chats, so
/// the shared server needs no cleaning.
/// </summary>
public sealed class PocketBaseArchiveTests(PocketBaseArchiveTests.Service fixture) : IClassFixture<PocketBaseArchiveTests.Service>
{
    private readonly CancellationToken _ct = TestContext.Current.CancellationToken;

    private TestService Api => fixture.Api;

    [Fact]
    public async Task Received_and_posted_messages_become_records_with_their_relations_and_the_GET_routes_return_them()
    {
        var address = NewTelegramChat("Maria");
        var received = await Api.Grains.GetGrain<IChatGrain>(address.ChatId).ReceiveAsync(Text(address, "9001", "Do you open on Sunday?"));
        Assert.Equal(ReceiveOutcome.Accepted, received.Outcome);
        using var post = await Api.Client.PostAsJsonAsync("/api/messages",
            new { source = "telegram", platformChatId = address.PlatformChatId, text = "Yes, from 10 to 16.", senderName = "Olga" }, _ct);
        Assert.Equal(HttpStatusCode.Accepted, post.StatusCode);

        using var admin = await fixture.PocketBase.AdminAsync();
        var records = await Eventually.Get(() => MessageRecordsAsync(admin, address.ChatId, _ct),
            r => r.Count == 2 && r.Any(m => m.Str("status") == MessageStatus.Sent), what: "both messages stored, the reply as sent");
        var incoming = records.Single(m => m["isIncoming"]!.GetValue<bool>());
        var outgoing = records.Single(m => !m["isIncoming"]!.GetValue<bool>());
        Assert.Equal(received.Message!.Id, incoming.Str("id"));
        Assert.Equal("9001", incoming.Str("platformMessageId"));
        Assert.Equal("Do you open on Sunday?", incoming.Str("content"));
        Assert.Equal(address.PlatformChatId, incoming.Str("senderId"));
        Assert.Equal("operator", outgoing.Str("responseMode"));
        Assert.Equal("Olga", outgoing.Str("senderName"));
        Assert.DoesNotContain("pending:", outgoing.Str("platformMessageId"), StringComparison.Ordinal);

        // The relation is real: PocketBase expands it to the chat record.
        var expanded = (await admin.GetFromJsonAsync<JsonObject>($"/api/collections/messages/records/{incoming.Str("id")}?expand=chatId", _ct))!;
        var chat = expanded["expand"]!["chatId"]!;
        Assert.Equal(address.ChatId, chat.Str("id"));
        Assert.Equal(address.PlatformChatId, chat.Str("platformChatId"));
        Assert.Equal("telegram", chat.Str("source"));
        Assert.Equal("Maria", chat.Str("name"));
        Assert.Equal("telegram", chat.Str("platform"));
        await Eventually.Get(async () => (await admin.GetFromJsonAsync<JsonObject>($"/api/collections/chats/records/{address.ChatId}", _ct))!,
            c => c.Str("lastMessage") == "Yes, from 10 to 16." && !c["autoMode"]!.GetValue<bool>(), what: "chat shows the reply and the takeover");

        var chats = (await Api.Client.GetFromJsonAsync<JsonObject>("/api/chats?source=telegram&perPage=500", _ct))!;
        Assert.Contains(chats["items"]!.AsArray(), c => c.Str("id") == address.ChatId);
        var history = (await Api.Client.GetFromJsonAsync<JsonObject>($"/api/chats/{address.ChatId}/messages", _ct))!;
        Assert.Equal(2, history["totalItems"]!.GetValue<int>());
        Assert.Equal(["Do you open on Sunday?", "Yes, from 10 to 16."], history["items"]!.AsArray().Select(m => m.Str("content")));
        Assert.All(history["items"]!.AsArray(), m => Assert.Equal(address.ChatId, m.Str("chatId")));
        var newestFirst = (await Api.Client.GetFromJsonAsync<JsonObject>($"/api/chats/{address.ChatId}/messages?sort=-timestamp", _ct))!;
        Assert.Equal("Yes, from 10 to 16.", newestFirst["items"]![0].Str("content"));
    }

    [Fact]
    public async Task The_same_message_ingested_twice_is_one_record()
    {
        var address = NewTelegramChat();
        var grain = Api.Grains.GetGrain<IChatGrain>(address.ChatId);
        var message = Text(address, "9055", "twice");
        await grain.ReceiveAsync(message);
        await grain.ReceiveAsync(message);
        using var admin = await fixture.PocketBase.AdminAsync();
        var stored = await Eventually.Get(() => MessageRecordsAsync(admin, address.ChatId, _ct), r => r.Count >= 1, what: "stored");

        // Below the grain's dedup: the archive itself, retried concurrently, and under another id (a grain
        // that lost its dedup window) for the same chat + platformMessageId.
        var archive = Api.App.Services.GetRequiredService<IChatArchive>();
        var copy = new ChatMessage
        {
            Id = stored[0].Str("id"), PlatformMessageId = "9055", Source = "telegram", Platform = "telegram",
            ChatId = address.ChatId, Content = "twice", IsIncoming = true, Timestamp = DateTimeOffset.UtcNow, SenderId = address.PlatformChatId,
        };
        await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => archive.UpsertMessageAsync(copy, _ct)));
        await archive.UpsertMessageAsync(copy with { Id = "zzzzzzzzzzzzzzz", Content = "twice, again" }, _ct);

        var records = await MessageRecordsAsync(admin, address.ChatId, _ct);
        var only = Assert.Single(records);
        Assert.Equal(stored[0].Str("id"), only.Str("id"));
        Assert.Equal("twice, again", only.Str("content"));
    }

    [Fact]
    public async Task A_voice_note_round_trips_through_media()
    {
        var address = NewTelegramChat();
        var bytes = new byte[48_000];
        Random.Shared.NextBytes(bytes);
        "OggS"u8.CopyTo(bytes);
        var mediaId = ChatIds.ForMedia("telegram", "voice-" + address.PlatformChatId);
        var store = Api.App.Services.GetRequiredService<IMediaStore>();
        await store.SaveAsync(mediaId, new MediaContent("telegram", "voice 42.ogg", "audio/ogg", bytes), _ct);
        await store.SaveAsync(mediaId, new MediaContent("telegram", "voice 42.ogg", "audio/ogg", bytes), _ct);
        await Api.Grains.GetGrain<IChatGrain>(address.ChatId).ReceiveAsync(Text(address, "9009", "") with
        {
            Content = null, Type = MessageTypes.Voice, MediaFileId = mediaId, FileName = "voice 42.ogg", MimeType = "audio/ogg",
        });

        using var admin = await fixture.PocketBase.AdminAsync();
        var record = (await Eventually.Get(() => MessageRecordsAsync(admin, address.ChatId, _ct), r => r.Count == 1, what: "voice message stored"))[0];
        Assert.Equal(mediaId, record.Str("mediaFileId"));
        Assert.Equal("voice", record.Str("type"));
        var media = (await admin.GetFromJsonAsync<JsonObject>($"/api/collections/media/records/{mediaId}", _ct))!;
        Assert.Equal("telegram", media.Str("platform"));
        Assert.EndsWith(".ogg", media.Str("file"), StringComparison.Ordinal);

        using var download = await Api.Client.GetAsync($"/api/media/{mediaId}", _ct);
        Assert.Equal(HttpStatusCode.OK, download.StatusCode);
        Assert.Equal("audio/ogg", download.Content.Headers.ContentType!.MediaType);
        Assert.Equal(bytes, await download.Content.ReadAsByteArrayAsync(_ct));
        using var missing = await Api.Client.GetAsync($"/api/media/{ChatIds.ForMedia("telegram", "nope")}", _ct);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task A_spooled_download_streams_into_media_once_and_is_served_back()
    {
        var bytes = new byte[300_000];
        Random.Shared.NextBytes(bytes);
        var mediaId = ChatIds.ForMedia("telegram", "doc-" + Guid.NewGuid().ToString("N"));
        var store = Api.App.Services.GetRequiredService<IMediaStore>();
        using var spool = new TempDir();
        var path = Path.Combine(spool.Path, "download.part");
        await File.WriteAllBytesAsync(path, bytes, _ct);
        var description = new MediaContent("telegram", "report.bin", "application/octet-stream", ReadOnlyMemory<byte>.Empty) { AlreadyStored = true };
        await store.SaveFileAsync(mediaId, description, path, _ct);
        await store.SaveFileAsync(mediaId, description, path, _ct);
        // What the chat grain does next with the fetcher's answer: a no-op, not an empty file over the real one.
        await store.SaveAsync(mediaId, description, _ct);

        await using var stored = await store.OpenAsync(mediaId, _ct);
        Assert.NotNull(stored);
        Assert.Equal("report.bin", stored.FileName);
        using var copy = new MemoryStream();
        await stored.Content.CopyToAsync(copy, _ct);
        Assert.Equal(bytes, copy.ToArray());
    }

    /// <summary>One API host per class, writing to the run's PocketBase.</summary>
    public sealed class Service(PocketBaseFixture pocketBase) : IAsyncLifetime
    {
        private readonly TempDir _data = new();

        public PocketBaseServer PocketBase => pocketBase;

        public TestService Api { get; private set; } = null!;

        public async ValueTask InitializeAsync() =>
            Api = await TestService.StartAsync(_data.Path, pocketBase.Settings, [new RecordingGateway()]);

        public async ValueTask DisposeAsync()
        {
            await Api.DisposeAsync();
            _data.Dispose();
        }
    }
}
