using System.Net;
using System.Net.Sockets;

namespace MessengerAutoReply.Security;

/// <summary>
/// The primary handler for HttpClients that fetch addresses from input: DNS is resolved here and the policy checks
/// the very IP that is connected to (so a name that resolves to 127.0.0.1, or changes its answer between a check
/// and the request, gets nowhere); redirects are followed by the handler, at most <c>maxRedirects</c>, each hop
/// through this same connect check (https never downgrades to http).
/// </summary>
public static class GuardedHttpHandler
{
    public static SocketsHttpHandler Create(OutboundPolicy policy, int maxRedirects = 3) => new()
    {
        AllowAutoRedirect = maxRedirects > 0,
        MaxAutomaticRedirections = Math.Max(1, maxRedirects),
        PooledConnectionLifetime = TimeSpan.FromMinutes(2),
        ConnectCallback = (context, ct) => ConnectAsync(policy, context, ct),
    };

    private static async ValueTask<Stream> ConnectAsync(OutboundPolicy policy, SocketsHttpConnectionContext context, CancellationToken ct)
    {
        var endpoint = context.DnsEndPoint;
        var trusted = context.InitialRequestMessage.RequestUri is { } uri && policy.IsTrusted(new UriBuilder(uri.Scheme, endpoint.Host, endpoint.Port).Uri);
        var addresses = IPAddress.TryParse(endpoint.Host, out var literal)
            ? [literal]
            : await Dns.GetHostAddressesAsync(endpoint.Host, ct);
        var allowed = trusted || policy.AllowPrivate ? addresses : addresses.Where(a => !OutboundPolicy.IsForbidden(a)).ToArray();
        if (allowed.Length == 0)
        {
            throw new OutboundRefusedException(
                $"{endpoint.Host} resolves to {string.Join(", ", addresses.Select(a => a.ToString()))}, not a public address (OUTBOUND_ALLOW_PRIVATE=true allows private targets)");
        }
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(allowed, endpoint.Port, ct);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
