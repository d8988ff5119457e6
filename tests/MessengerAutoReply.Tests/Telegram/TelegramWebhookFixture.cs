using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using MessengerAutoReply.Chats;
using MessengerAutoReply.Fakes.Telegram;
using MessengerAutoReply.Tests.Infrastructure;
using static MessengerAutoReply.Tests.Telegram.TelegramTestKit;

namespace MessengerAutoReply.Tests.Telegram;

/// <summary>One service in webhook mode: the fake POSTs updates to <c>/webhooks/telegram</c>; the secret is generated.</summary>
public sealed class TelegramWebhookFixture : IAsyncLifetime
{
    private readonly TempDir _dir = new();

    public FakeTelegramServer Fake { get; private set; } = null!;

    public TestService Service { get; private set; } = null!;

    public string Secret { get; private set; } = "";

    /// <summary>The chat grains' storage: a test can hold a chat's write and see the webhook wait for it.</summary>
    public HeldGrainStorage Storage { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        Fake = await FakeTelegramServer.StartAsync(TestContext.Current.CancellationToken);
        var port = FreePort.Next();
        Service = await TestService.StartAsync(_dir.Path, Settings(Fake,
            ("SERVER_PORT", port.ToString(CultureInfo.InvariantCulture)),
            ("TELEGRAM_WEBHOOK_URL", $"http://127.0.0.1:{port}/webhooks/telegram")),
            configure: builder => Storage = HeldGrainStorage.Decorate(builder.Services, StorageNames.Chats));
        var setWebhook = await Fake.WaitForCallAsync("setWebhook", c => c.StatusCode == 200, cancellationToken: TestContext.Current.CancellationToken);
        Secret = setWebhook.Parameters["secret_token"];
    }

    public async ValueTask DisposeAsync()
    {
        await Service.DisposeAsync();
        await Fake.DisposeAsync();
        _dir.Dispose();
    }

    public string DataDir => _dir.Path;
}
