using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using MessengerAutoReply.Chats;
using MessengerAutoReply.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace MessengerAutoReply.Tests.Api;

/// <summary>One API host per class (embedded default), over real HTTP on loopback.</summary>
public sealed class ApiFixture : IAsyncLifetime
{
    private readonly TempDir _data = new();

    public RecordingGateway Telegram { get; } = new();

    public TestService Service { get; private set; } = null!;

    public async ValueTask InitializeAsync() => Service = await TestService.StartAsync(_data.Path, gateways: [Telegram]);

    public async ValueTask DisposeAsync()
    {
        await Service.DisposeAsync();
        _data.Dispose();
    }
}
