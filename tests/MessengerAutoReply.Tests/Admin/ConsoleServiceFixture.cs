using MessengerAutoReply.Chats;
using MessengerAutoReply.Tests.Infrastructure;

namespace MessengerAutoReply.Tests.Admin;

/// <summary>
/// The real API host for a browser test class, with recording gateways for both platforms so operator
/// replies can be sent. Tests share it and keep apart by their own chats.
/// </summary>
public sealed class ConsoleServiceFixture : IAsyncLifetime
{
    private readonly TempDir _dir = new();

    public RecordingGateway Telegram { get; } = new(Platforms.Telegram);

    public RecordingGateway Brevo { get; } = new(Platforms.Brevo);

    public TestService Service { get; private set; } = null!;

    public ChatSeeder Seeder { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        Service = await TestService.StartAsync(_dir.Path, gateways: [Telegram, Brevo]);
        Seeder = new ChatSeeder(Service);
    }

    public async ValueTask DisposeAsync()
    {
        await Service.DisposeAsync();
        _dir.Dispose();
    }
}
