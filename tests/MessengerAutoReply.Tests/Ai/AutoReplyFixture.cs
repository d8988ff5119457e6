using MessengerAutoReply.Chats;
using MessengerAutoReply.Fakes.OpenAI;
using MessengerAutoReply.Media;
using MessengerAutoReply.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace MessengerAutoReply.Tests.Ai;

/// <summary>The API host (embedded) with the real OpenAI SDK pointed at the loopback OpenAI fake.</summary>
public class AutoReplyFixture : IAsyncLifetime
{
    private readonly TempDir _data = new();

    public FakeOpenAIServer OpenAI { get; private set; } = null!;

    public RecordingGateway Telegram { get; } = new();

    public StaticMediaFetcher Files { get; } = new();

    public TestService Service { get; private set; } = null!;

    protected virtual Dictionary<string, string?> Settings() => [];

    protected virtual void Configure(IServiceCollection services)
    {
    }

    public async ValueTask InitializeAsync()
    {
        OpenAI = await FakeOpenAIServer.StartAsync();
        OpenAI.AcceptAnyModel = true;
        var settings = new Dictionary<string, string?>
        {
            ["OPENAI_API_KEY"] = "sk-fake-test",
            ["OPENAI_BASE_URL"] = OpenAI.ApiEndpoint.ToString(),
            ["OPENAI_MODEL"] = "gpt-test",
            ["REPLY_DEBOUNCE_MS"] = "300",
            ["OPENAI_MAX_RETRIES"] = "2",
            ["OPENAI_RETRY_BASE"] = "100ms",
            ["TYPING_INTERVAL"] = "200ms",
        };
        foreach (var (key, value) in Settings())
        {
            settings[key] = value;
        }
        Service = await TestService.StartAsync(_data.Path, settings, [Telegram], builder =>
        {
            builder.Services.AddSingleton<IMediaFetcher>(Files);
            Configure(builder.Services);
        });
    }

    public async ValueTask DisposeAsync()
    {
        await Service.DisposeAsync();
        await OpenAI.DisposeAsync();
        _data.Dispose();
        GC.SuppressFinalize(this);
    }

    public static ChatAddress NewChat(bool group = false) => new()
    {
        Source = Sources.Telegram,
        Platform = Platforms.Telegram,
        PlatformChatId = (group ? "-" : "") + Random.Shared.NextInt64(1_000_000, long.MaxValue),
        Name = "Customer",
        IsGroup = group,
    };

    public Task<ReceiveResult> Say(ChatAddress chat, string text, string? id = null) =>
        Service.Grains.GetGrain<IChatGrain>(chat.ChatId).ReceiveAsync(new InboundMessage
        {
            Chat = chat,
            PlatformMessageId = id ?? Guid.NewGuid().ToString("N"),
            Content = text,
            SenderId = chat.PlatformChatId,
            Timestamp = DateTimeOffset.UtcNow,
        });

    public IReadOnlyList<ChatMessage> RepliesTo(ChatAddress chat) => Telegram.SentTo(chat.ChatId);
}
