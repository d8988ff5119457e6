using System.Net.Http.Json;
using System.Text.Json.Nodes;
using MessengerAutoReply.Chats;
using MessengerAutoReply.Tests.Infrastructure;

namespace MessengerAutoReply.Tests.PocketBase;

/// <summary>Helpers shared by the PocketBase test classes: addresses, messages, and reading records as the admin.</summary>
internal static class PocketBaseTestKit
{
    public static ChatAddress NewTelegramChat(string? name = "Anna") => new()
    {
        Source = Sources.Telegram,
        Platform = Platforms.Telegram,
        PlatformChatId = Random.Shared.NextInt64(1_000_000, long.MaxValue).ToString(),
        Name = name,
    };

    public static InboundMessage Text(ChatAddress chat, string platformMessageId, string text, DateTimeOffset? at = null) => new()
    {
        Chat = chat,
        PlatformMessageId = platformMessageId,
        Content = text,
        SenderId = chat.PlatformChatId,
        SenderName = chat.Name,
        Timestamp = at ?? DateTimeOffset.UtcNow,
    };

    /// <summary>Every message record of one chat record, oldest write first.</summary>
    public static async Task<List<JsonObject>> MessageRecordsAsync(HttpClient admin, string chatRecordId, CancellationToken ct)
    {
        var items = new List<JsonObject>();
        for (var page = 1; ; page++)
        {
            var filter = Uri.EscapeDataString($"chatId='{chatRecordId}'");
            using var response = await admin.GetAsync($"/api/collections/messages/records?filter={filter}&sort=created,timestamp&perPage=500&page={page}", ct);
            if (response.StatusCode == System.Net.HttpStatusCode.NotFound)
            {
                // The collection is not there yet (the service creates it once PocketBase answers).
                return items;
            }
            response.EnsureSuccessStatusCode();
            var list = (await response.Content.ReadFromJsonAsync<JsonObject>(ct))!;
            var batch = list["items"]!.AsArray().OfType<JsonObject>().ToList();
            items.AddRange(batch);
            if (batch.Count < 500)
            {
                return items;
            }
        }
    }

    public static string Str(this JsonNode? node, string name) => node![name]!.GetValue<string>();
}
