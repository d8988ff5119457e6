using System.Net.Http.Json;
using System.Text.Json.Nodes;
using MessengerAutoReply.Archive;
using MessengerAutoReply.Chats;
using MessengerAutoReply.Fakes.Brevo;
using MessengerAutoReply.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;

namespace MessengerAutoReply.Tests.Brevo;

/// <summary>The real API host wired to a loopback Brevo fake in both directions; one per test class.</summary>
public class BrevoFixture : IAsyncLifetime
{
    public const string Secret = "brevo-test-secret-0123456789abcdef";

    private readonly TempDir _dataDir = new();

    public FakeBrevoServer Fake { get; private set; } = null!;

    public TestService Service { get; private set; } = null!;

    public HttpClient Client => Service.Client;

    public string WebhookUrl => $"{Service.BaseUri.ToString().TrimEnd('/')}/webhooks/brevo/{Secret}";

    public async ValueTask InitializeAsync()
    {
        var ct = TestContext.Current.CancellationToken;
        Fake = await FakeBrevoServer.StartAsync(ct);
        Fake.EchoDelay = TimeSpan.FromMilliseconds(20);
        ConfigureFake(Fake);
        var settings = new Dictionary<string, string?>
        {
            ["BREVO_API_KEY"] = Fake.ApiKey,
            ["BREVO_AGENT_ID"] = Fake.AgentId,
            ["BREVO_API_URL"] = Fake.ApiBaseUrl,
            ["BREVO_WEBHOOK_SECRET"] = Secret,
            ["BREVO_QUEUE_MAX_WAIT"] = "1500ms",
            ["BREVO_SEND_TIMEOUT"] = "5s",
            ["DELIVERY_TIMEOUT"] = "10s",
        };
        foreach (var (key, value) in await SettingsAsync())
        {
            settings[key] = value;
        }
        Service = await TestService.StartAsync(_dataDir.Path, settings, configure: Configure);
        Fake.WebhookUrl = WebhookUrl;
    }

    protected virtual Task<Dictionary<string, string?>> SettingsAsync() => Task.FromResult(new Dictionary<string, string?>());

    protected virtual void ConfigureFake(FakeBrevoServer fake)
    {
    }

    protected virtual void Configure(WebApplicationBuilder builder)
    {
    }

    public virtual async ValueTask DisposeAsync()
    {
        await Service.DisposeAsync();
        await Fake.DisposeAsync();
        _dataDir.Dispose();
        GC.SuppressFinalize(this);
    }

    public static string ChatIdOf(FakeBrevoVisitor visitor, string source = Sources.Instagram) => ChatIds.ForChat(source, visitor.Id);

    public async Task<int> DeliverAsync(JsonObject payload) =>
        await Fake.DeliverAsync(payload, cancellationToken: TestContext.Current.CancellationToken);

    public async Task<IReadOnlyList<ChatMessage>> MessagesAsync(string chatId)
    {
        using var response = await Client.GetAsync($"/api/chats/{chatId}/messages?perPage=500", TestContext.Current.CancellationToken);
        if (response.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return [];
        }
        response.EnsureSuccessStatusCode();
        var page = await response.Content.ReadFromJsonAsync<Paged<ChatMessage>>(ArchiveJson.Options, TestContext.Current.CancellationToken);
        return page!.Items;
    }

    public async Task<Chat?> ChatAsync(string chatId)
    {
        using var response = await Client.GetAsync($"/api/chats/{chatId}", TestContext.Current.CancellationToken);
        return response.IsSuccessStatusCode
            ? await response.Content.ReadFromJsonAsync<Chat>(ArchiveJson.Options, TestContext.Current.CancellationToken)
            : null;
    }

    public Task<IReadOnlyList<ChatMessage>> WaitForMessagesAsync(string chatId, Func<IReadOnlyList<ChatMessage>, bool> done, string what) =>
        Eventually.Get(() => MessagesAsync(chatId), done, what: what);

    /// <summary>
    /// Everything the chat holds once all earlier work reached the archive: a fresh visitor message goes through
    /// the same per-chat queue, so when it is visible, anything stored before it is too.
    /// </summary>
    public async Task<IReadOnlyList<ChatMessage>> SettledMessagesAsync(FakeBrevoVisitor visitor)
    {
        var sentinel = Fake.NewVisitorTextMessage("sentinel " + Guid.NewGuid().ToString("N"));
        Assert.Equal(200, await DeliverAsync(Fake.BuildFragment(visitor, sentinel)));
        var all = await WaitForMessagesAsync(ChatIdOf(visitor, visitor.Source),
            m => m.Any(x => x.PlatformMessageId == (string)sentinel["id"]!), "the sentinel message");
        return [.. all.Where(m => m.PlatformMessageId != (string)sentinel["id"]!)];
    }

    public async Task<ChatMessage> PostReplyAsync(FakeBrevoVisitor visitor, string text, string? responseMode = null)
    {
        using var response = await Client.PostAsJsonAsync("/api/messages",
            new { source = Sources.Instagram, visitorId = visitor.Id, text, responseMode }, TestContext.Current.CancellationToken);
        Assert.Equal(System.Net.HttpStatusCode.Accepted, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<ChatMessage>(ArchiveJson.Options, TestContext.Current.CancellationToken))!;
    }
}
