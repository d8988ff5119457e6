using MessengerAutoReply.Chats;
using MessengerAutoReply.Fakes.OpenAI;
using MessengerAutoReply.Media;
using MessengerAutoReply.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace MessengerAutoReply.Tests.Ai;

/// <summary>
/// The API host (embedded) with the real OpenAI SDK pointed at the loopback OpenAI fake. The chats run on a fake
/// clock (<see cref="ChatClock"/>): a quiet period ends when a test moves the clock, never because the machine
/// was slow, and "no run happened" is checked past the deadline (<see cref="AssertNoRunAsync"/>).
/// </summary>
public class AutoReplyFixture : IAsyncLifetime
{
    private readonly TempDir _data = new();

    public FakeOpenAIServer OpenAI { get; private set; } = null!;

    public RecordingGateway Telegram { get; } = new();

    public StaticMediaFetcher Files { get; } = new();

    public TestService Service { get; private set; } = null!;

    /// <summary>The chats' clock. Orleans' own timers keep real time, so a due run starts within one timer period of the clock passing its due time.</summary>
    public FakeTimeProvider Clock { get; } = new(DateTimeOffset.UtcNow);

    /// <summary>REPLY_DEBOUNCE_MS as this fixture sets it.</summary>
    public TimeSpan QuietPeriod => TimeSpan.FromMilliseconds(int.Parse(EffectiveSettings["REPLY_DEBOUNCE_MS"]!, System.Globalization.CultureInfo.InvariantCulture));

    private Dictionary<string, string?> EffectiveSettings { get; set; } = [];

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
        EffectiveSettings = settings;
        Service = await TestService.StartAsync(_data.Path, settings, [Telegram], builder =>
        {
            builder.Services.AddSingleton<IMediaFetcher>(Files);
            builder.Services.AddKeyedSingleton<TimeProvider>(ChatClock.Key, Clock);
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

    public IChatGrain Grain(ChatAddress chat) => Service.Grains.GetGrain<IChatGrain>(chat.ChatId);

    /// <summary>The customer writes and then falls silent: the clock moves past the quiet period.</summary>
    public async Task<ReceiveResult> Say(ChatAddress chat, string text, string? id = null)
    {
        var result = await SayWithinQuietPeriod(chat, text, id);
        Clock.Advance(QuietPeriod);
        return result;
    }

    /// <summary>The customer writes; the clock stays where it is (the next message may still be in the same burst).</summary>
    public Task<ReceiveResult> SayWithinQuietPeriod(ChatAddress chat, string text, string? id = null) =>
        Grain(chat).ReceiveAsync(new InboundMessage
        {
            Chat = chat,
            PlatformMessageId = id ?? Guid.NewGuid().ToString("N"),
            Content = text,
            SenderId = chat.PlatformChatId,
            Timestamp = Clock.GetUtcNow(),
        });

    /// <summary>
    /// "No AI run is due": wakes the chat as the pending-work sweep does, after moving the clock past the quiet
    /// period when <paramref name="pastQuietPeriod"/>. A run that is due starts (and is recorded as
    /// <c>aiRunning</c>) inside that call, so a chat that is not running afterwards has nothing due.
    /// </summary>
    public async Task AssertNoRunAsync(ChatAddress chat, bool pastQuietPeriod = true)
    {
        if (pastQuietPeriod)
        {
            Clock.Advance(QuietPeriod + TimeSpan.FromMilliseconds(1));
        }
        await Grain(chat).WakeAsync();
        var state = await Grain(chat).GetAsync();
        Assert.False(state?.AiRunning ?? false, "no AI run is due for the chat");
    }

    public IReadOnlyList<ChatMessage> RepliesTo(ChatAddress chat) => Telegram.SentTo(chat.ChatId);
}
