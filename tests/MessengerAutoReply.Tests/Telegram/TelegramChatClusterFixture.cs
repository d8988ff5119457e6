using MessengerAutoReply.Chats;
using MessengerAutoReply.Fakes.Telegram;
using MessengerAutoReply.Telegram;
using MessengerAutoReply.Tests.Infrastructure;

namespace MessengerAutoReply.Tests.Telegram;

public sealed class TelegramChatClusterFixture(RedisFixture redis) : ChatClusterFixture(redis)
{
    public FakeTelegramServer Telegram { get; private set; } = null!;

    protected override bool UseRecordingGateway => false;

    protected override async Task<IDictionary<string, string?>> ExtraSettingsAsync()
    {
        Telegram = await FakeTelegramServer.StartAsync();
        return new Dictionary<string, string?>
        {
            ["TELEGRAM_TOKEN"] = Telegram.Token,
            ["TELEGRAM_API_URL"] = Telegram.BaseUrl,
            ["TELEGRAM_POLL_TIMEOUT"] = "1s",
            ["TELEGRAM_POLLER_KEEPER_INTERVAL"] = "500ms",
        };
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        await Telegram.DisposeAsync();
    }
}
