using System.Net;
using System.Net.Sockets;
using MessengerAutoReply.Hosting;
using Microsoft.Extensions.Configuration;

namespace MessengerAutoReply.Security;

/// <summary>
/// The one check for requests to addresses that come from input or from users (decision 24): Brevo file links,
/// webhook targets, anything a platform names. Links must be https; the IP connected to (every hop of a redirect
/// included) must not be loopback, private, link-local, CGNAT, a metadata address or otherwise not public. The
/// origins of the configured platform base URLs are trusted as configured; OUTBOUND_ALLOW_PRIVATE=true lifts the
/// address rule (self-hosted targets on a private network, tests).
/// </summary>
public sealed class OutboundPolicy
{
    private readonly HashSet<string> _trustedOrigins;

    public OutboundPolicy(bool allowPrivate, IEnumerable<Uri> trustedBaseUrls)
    {
        AllowPrivate = allowPrivate;
        _trustedOrigins = trustedBaseUrls.Select(Origin).ToHashSet(StringComparer.OrdinalIgnoreCase);
    }

    public bool AllowPrivate { get; }

    public static OutboundPolicy Load(IConfiguration configuration)
    {
        var read = new SettingsReader(configuration);
        var policy = Read(read);
        return read.Errors.Count > 0 ? throw new InvalidSettingsException(read.Errors) : policy;
    }

    /// <summary>Reads OUTBOUND_ALLOW_PRIVATE into <paramref name="read"/>'s one list of bad variables (ServiceSettings.Load).</summary>
    public static OutboundPolicy Read(SettingsReader read)
    {
        ArgumentNullException.ThrowIfNull(read);
        var allow = read.Bool("OUTBOUND_ALLOW_PRIVATE", false);
        var trusted = new List<Uri>();
        foreach (var name in new[] { "TELEGRAM_API_URL", "BREVO_API_URL", "OPENAI_BASE_URL" })
        {
            if (read.String(name) is { } raw && Uri.TryCreate(raw, UriKind.Absolute, out var uri))
            {
                trusted.Add(uri);
            }
        }
        return new OutboundPolicy(allow, trusted);
    }

    public bool IsTrusted(Uri uri) => _trustedOrigins.Contains(Origin(uri));

    /// <summary>Why a link from input may not be fetched at all, or null when it may (the address is checked at connect).</summary>
    public string? RefuseLink(Uri uri)
    {
        if (IsTrusted(uri))
        {
            return null;
        }
        if (uri.Scheme != Uri.UriSchemeHttps)
        {
            return $"only https links are fetched, not {uri.Scheme}";
        }
        if (IPAddress.TryParse(uri.IdnHost, out var literal) && !AllowPrivate && IsForbidden(literal))
        {
            return $"{literal} is not a public address";
        }
        return null;
    }

    /// <summary>Not a public unicast address: loopback, private, link-local (metadata included), CGNAT, ULA, multicast, reserved.</summary>
    public static bool IsForbidden(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }
        if (IPAddress.IsLoopback(address) || address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any) || address.Equals(IPAddress.Broadcast))
        {
            return true;
        }
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            var b = address.GetAddressBytes();
            return b[0] switch
            {
                0 or 10 or 127 => true,
                100 => b[1] is >= 64 and <= 127,          // CGNAT 100.64.0.0/10
                169 => b[1] == 254,                       // link-local, cloud metadata 169.254.169.254
                172 => b[1] is >= 16 and <= 31,
                192 => (b[1] == 168) || (b[1] == 0 && b[2] is 0 or 2) || (b[1] == 88 && b[2] == 99),
                198 => b[1] is 18 or 19 || (b[1] == 51 && b[2] == 100),
                203 => b[1] == 0 && b[2] == 113,
                >= 224 => true,                           // multicast, reserved, broadcast
                _ => false,
            };
        }
        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            var b = address.GetAddressBytes();
            return address.IsIPv6LinkLocal || address.IsIPv6SiteLocal || address.IsIPv6Multicast
                || (b[0] & 0xFE) == 0xFC                  // unique local fc00::/7 (AWS metadata fd00:ec2::254 included)
                || (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0D && b[3] == 0xB8) // documentation
                || (b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xFF && b[3] == 0x9B) // NAT64 (may map to private v4)
                || address.IsIPv6Teredo;
        }
        return true;
    }

    private static string Origin(Uri uri) => $"{uri.Scheme}://{uri.IdnHost}:{uri.Port}";
}
