using System.Globalization;
using MessengerAutoReply.Fakes.Telegram;
using MessengerAutoReply.Telegram;
using MessengerAutoReply.Tests.Infrastructure;
using MessengerAutoReply.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using static MessengerAutoReply.Tests.Telegram.TelegramTestKit;

namespace MessengerAutoReply.Tests.Faults;

/// <summary>One service polling the fake Bot API, with the hand-off faults in its silo and a short empty-answer backoff.</summary>
public sealed class TelegramReceiverFixture : IAsyncLifetime
{
    public const int ParkAfter = 3;
    public static readonly TimeSpan EmptyBackoff = TimeSpan.FromMilliseconds(400);

    private readonly TempDir _dir = new();

    public FakeTelegramServer Fake { get; private set; } = null!;

    public TestService Service { get; private set; } = null!;

    public ChatHandOffFaults Faults { get; } = new();

    public TelegramReceiverMetrics Metrics => Service.App.Services.GetRequiredService<TelegramReceiverMetrics>();

    public async ValueTask InitializeAsync()
    {
        Fake = await FakeTelegramServer.StartAsync(TestContext.Current.CancellationToken);
        Service = await TestService.StartAsync(_dir.Path,
            Settings(Fake, ("TELEGRAM_PARK_AFTER_ATTEMPTS", ParkAfter.ToString(CultureInfo.InvariantCulture)), ("TELEGRAM_POLL_EMPTY_BACKOFF", "400ms")),
            configure: builder => builder.Services.AddSingleton<IIncomingGrainCallFilter>(Faults));
    }

    public async ValueTask DisposeAsync()
    {
        await Service.DisposeAsync();
        await Fake.DisposeAsync();
        _dir.Dispose();
    }
}
