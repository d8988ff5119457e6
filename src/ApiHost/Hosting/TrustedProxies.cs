using System.Net;
using MessengerAutoReply.Hosting;
using Microsoft.AspNetCore.HttpOverrides;

namespace MessengerAutoReply.ApiHost.Hosting;

/// <summary>
/// TRUSTED_PROXIES: the reverse proxies (addresses or CIDR networks, comma-separated) whose X-Forwarded-For and
/// X-Forwarded-Proto are believed. Unset, forwarded headers are ignored and the client address is the TCP peer's,
/// so nobody can pick their own address to dodge the wrong-key limit.
/// </summary>
public static class TrustedProxies
{
    /// <summary>Reads TRUSTED_PROXIES into <paramref name="read"/>'s one list of bad variables (ServiceSettings.Load).</summary>
    public static ForwardedHeadersOptions? Read(SettingsReader read)
    {
        ArgumentNullException.ThrowIfNull(read);
        var raw = read.String("TRUSTED_PROXIES");
        if (raw is null)
        {
            return null;
        }
        var options = new ForwardedHeadersOptions { ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto, ForwardLimit = null };
        // ASP.NET trusts loopback by default; only what the operator lists counts.
        options.KnownProxies.Clear();
        options.KnownIPNetworks.Clear();
        foreach (var entry in raw.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (entry.Contains('/', StringComparison.Ordinal) && System.Net.IPNetwork.TryParse(entry, out var network))
            {
                options.KnownIPNetworks.Add(network);
            }
            else if (IPAddress.TryParse(entry, out var address))
            {
                options.KnownProxies.Add(address);
                if (address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork)
                {
                    // Kestrel may report an IPv4 peer as IPv4-mapped IPv6.
                    options.KnownProxies.Add(address.MapToIPv6());
                }
            }
            else
            {
                read.Error("TRUSTED_PROXIES", $"'{entry}' is neither an IP address nor a network like 10.0.0.0/8");
            }
        }
        return options;
    }
}
