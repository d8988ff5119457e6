using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using MessengerAutoReply.Silo;
using MessengerAutoReply.Tests.Infrastructure;

namespace MessengerAutoReply.Tests.Security;

/// <summary>
/// Attacks a cluster-mode silo from another interface: its silo and gateway ports carry unauthenticated Orleans
/// traffic, so they listen only on SILO_ADVERTISED_IP (loopback by default), not on every address of the machine.
/// </summary>
public sealed class ClusterPortExposureTests(RedisFixture redis)
{
    private readonly CancellationToken _ct = TestContext.Current.CancellationToken;

    [Fact]
    public async Task Silo_and_gateway_ports_are_not_reachable_on_another_interface()
    {
        var other = NetworkInterface.GetAllNetworkInterfaces()
            .Where(n => n.OperationalStatus == OperationalStatus.Up && n.NetworkInterfaceType != NetworkInterfaceType.Loopback)
            .SelectMany(n => n.GetIPProperties().UnicastAddresses)
            .Select(a => a.Address)
            .FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(a));
        Assert.SkipWhen(other is null, "this machine has no non-loopback IPv4 address to attack from");
        using var data = new TempDir();
        var serviceId = "exposure-" + Guid.NewGuid().ToString("N")[..8];
        int siloPort = FreePort.Next(), gatewayPort = FreePort.Next();
        using var silo = SiloHostApp.Build([], new Dictionary<string, string?>
        {
            ["REDIS_URL"] = redis.Url,
            ["ORLEANS_SERVICE_ID"] = serviceId,
            ["ORLEANS_CLUSTER_ID"] = serviceId,
            ["DATA_DIR"] = data.Path,
            ["SILO_PORT"] = siloPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["GATEWAY_PORT"] = gatewayPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
        await silo.StartAsync(_ct);
        try
        {
            foreach (var port in new[] { siloPort, gatewayPort })
            {
                Assert.True(await ConnectsAsync(IPAddress.Loopback, port), $"port {port} is not listening on loopback");
                Assert.False(await ConnectsAsync(other!, port), $"port {port} answers on {other}");
            }
        }
        finally
        {
            await silo.StopAsync(CancellationToken.None);
        }
    }

    private async Task<bool> ConnectsAsync(IPAddress address, int port)
    {
        using var client = new TcpClient(address.AddressFamily);
        try
        {
            await client.ConnectAsync(address, port, _ct).AsTask().WaitAsync(TimeSpan.FromSeconds(5), _ct);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
