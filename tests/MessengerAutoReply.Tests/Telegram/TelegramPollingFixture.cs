using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using MessengerAutoReply.Chats;
using MessengerAutoReply.Delivery;
using MessengerAutoReply.Fakes.Telegram;
using MessengerAutoReply.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using static MessengerAutoReply.Tests.Telegram.TelegramTestKit;

namespace MessengerAutoReply.Tests.Telegram;

/// <summary>One service in long-polling mode against the fake Bot API, shared by the tests of the class.</summary>
public sealed class TelegramPollingFixture : IAsyncLifetime
{
    private readonly TempDir _dir = new();

    public FakeTelegramServer Fake { get; private set; } = null!;

    public TestService Service { get; private set; } = null!;

    /// <summary>The chat grains' storage: a test can hold a chat's write and see the poller wait for it.</summary>
    public HeldGrainStorage Storage { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        Fake = await FakeTelegramServer.StartAsync(TestContext.Current.CancellationToken);
        Service = await TestService.StartAsync(_dir.Path, Settings(Fake),
            configure: builder => Storage = HeldGrainStorage.Decorate(builder.Services, StorageNames.Chats));
    }

    public async ValueTask DisposeAsync()
    {
        await Service.DisposeAsync();
        await Fake.DisposeAsync();
        _dir.Dispose();
    }
}
