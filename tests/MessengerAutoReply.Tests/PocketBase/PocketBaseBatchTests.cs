using System.Net.Http.Json;
using System.Text.Json.Nodes;
using MessengerAutoReply.Archive;
using MessengerAutoReply.Archive.PocketBase;
using MessengerAutoReply.Chats;
using MessengerAutoReply.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using static MessengerAutoReply.Tests.PocketBase.PocketBaseTestKit;

namespace MessengerAutoReply.Tests.PocketBase;

/// <summary>
/// A chat's outbox batch written to the real PocketBase in one go: newest version of each record wins, the
/// chat exists before its messages, and writing the same batch again (a retry) changes nothing.
/// </summary>
public sealed class PocketBaseBatchTests(PocketBaseArchiveTests.Service fixture) : IClassFixture<PocketBaseArchiveTests.Service>
{
    private readonly CancellationToken _ct = TestContext.Current.CancellationToken;

    private static ChatMessage Message(ChatAddress address, int i, string status) => new()
    {
        Id = ChatIds.ForIncoming(address.ChatId, $"b{i}"),
        PlatformMessageId = $"b{i}",
        Source = Sources.Telegram,
        Platform = Platforms.Telegram,
        ChatId = address.ChatId,
        Content = $"batch message {i} ({status})",
        Status = status,
        IsIncoming = true,
        SenderId = address.PlatformChatId,
        Timestamp = new DateTimeOffset(2026, 1, 1, 0, 0, i, TimeSpan.Zero),
    };

    [Fact]
    public async Task A_batch_stores_each_records_newest_version_and_a_retry_changes_nothing()
    {
        var archive = fixture.Api.App.Services.GetRequiredService<IChatArchive>();
        var batching = Assert.IsAssignableFrom<IBatchingChatArchive>(archive);
        Assert.IsType<PocketBaseArchive>(archive);
        var address = NewTelegramChat("Batch");
        Chat ChatVersion(string preview) => new()
        {
            Id = address.ChatId, Source = Sources.Telegram, Platform = Platforms.Telegram, PlatformChatId = address.PlatformChatId,
            Name = "Batch", LastMessage = preview,
        };
        // As an outbox has it: the chat, 40 messages, then newer versions of the chat and of message 3.
        var records = new List<(Chat?, ChatMessage?)> { (ChatVersion("first"), null) };
        records.AddRange(Enumerable.Range(0, 40).Select(i => ((Chat?)null, (ChatMessage?)Message(address, i, MessageStatus.Received))));
        records.Add((ChatVersion("newest"), Message(address, 3, "unanswered")));

        await batching.UpsertBatchAsync(records, _ct);
        await batching.UpsertBatchAsync(records, _ct);

        using var admin = await fixture.PocketBase.AdminAsync();
        var stored = await MessageRecordsAsync(admin, address.ChatId, _ct);
        Assert.Equal(40, stored.Count);
        Assert.Equal("unanswered", stored.Single(m => m.Str("platformMessageId") == "b3").Str("status"));
        Assert.All(stored.Where(m => m.Str("platformMessageId") != "b3"), m => Assert.Equal(MessageStatus.Received, m.Str("status")));
        var chat = (await admin.GetFromJsonAsync<JsonObject>($"/api/collections/chats/records/{address.ChatId}", _ct))!;
        Assert.Equal("newest", chat.Str("lastMessage"));
    }
}
