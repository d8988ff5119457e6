using System.Net;
using System.Net.Http.Json;
using MessengerAutoReply.Archive;
using MessengerAutoReply.Chats;
using MessengerAutoReply.Fakes.Telegram;
using MessengerAutoReply.Tests.Infrastructure;

namespace MessengerAutoReply.Tests.Telegram;

/// <summary>Settings and probes shared by the Telegram tests: short timers, the fake as Bot API, REST reads.</summary>
public static class TelegramTestKit
{
    public static Dictionary<string, string?> Settings(FakeTelegramServer fake, params (string Key, string? Value)[] extra)
    {
        var settings = new Dictionary<string, string?>
        {
            ["TELEGRAM_TOKEN"] = fake.Token,
            ["TELEGRAM_API_URL"] = fake.BaseUrl,
            ["TELEGRAM_POLL_TIMEOUT"] = "5s",
            ["TELEGRAM_POLL_BACKOFF"] = "50ms",
            ["TELEGRAM_POLL_BACKOFF_MAX"] = "500ms",
            ["TELEGRAM_POLLER_KEEPER_INTERVAL"] = "200ms",
            ["TELEGRAM_SEND_TIMEOUT"] = "10s",
        };
        foreach (var (key, value) in extra)
        {
            settings[key] = value;
        }
        return settings;
    }

    public static string ChatIdOf(long platformChatId) => ChatIds.ForChat(Sources.Telegram, platformChatId.ToString(System.Globalization.CultureInfo.InvariantCulture));

    public static async Task<IReadOnlyList<ChatMessage>> MessagesAsync(HttpClient client, string chatId)
    {
        using var response = await client.GetAsync(new Uri($"/api/chats/{chatId}/messages?perPage=500", UriKind.Relative), TestContext.Current.CancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return [];
        }
        response.EnsureSuccessStatusCode();
        var page = await response.Content.ReadFromJsonAsync<MessagePage>(ArchiveJson.Options, TestContext.Current.CancellationToken);
        return page!.Items;
    }

    public static Task<IReadOnlyList<ChatMessage>> WaitForMessagesAsync(HttpClient client, string chatId, Func<IReadOnlyList<ChatMessage>, bool> done, string what, TimeSpan? timeout = null) =>
        Eventually.Get(() => MessagesAsync(client, chatId), done, timeout ?? TimeSpan.FromSeconds(15), what);

    public static async Task<ChatMessage> WaitForMessageAsync(HttpClient client, string chatId, string platformMessageId, Func<ChatMessage, bool>? done = null, TimeSpan? timeout = null)
    {
        var messages = await WaitForMessagesAsync(client, chatId,
            list => list.Any(m => m.PlatformMessageId == platformMessageId && (done?.Invoke(m) ?? true)),
            $"message {platformMessageId} in chat {chatId}", timeout);
        return messages.Single(m => m.PlatformMessageId == platformMessageId);
    }

    public static async Task<Chat?> ChatAsync(HttpClient client, string chatId)
    {
        using var response = await client.GetAsync(new Uri($"/api/chats/{chatId}", UriKind.Relative), TestContext.Current.CancellationToken);
        return response.StatusCode == HttpStatusCode.NotFound
            ? null
            : await response.Content.ReadFromJsonAsync<Chat>(ArchiveJson.Options, TestContext.Current.CancellationToken);
    }

    private sealed record MessagePage(int TotalItems, List<ChatMessage> Items);
}
