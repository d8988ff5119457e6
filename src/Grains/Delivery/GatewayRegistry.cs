using MessengerAutoReply.Chats;

namespace MessengerAutoReply.Delivery;

/// <summary>The gateways this process has, by platform, and what to configure for a missing one.</summary>
public sealed class GatewayRegistry(IEnumerable<IMessengerGateway> gateways)
{
    private readonly Dictionary<string, IMessengerGateway> _byPlatform =
        gateways.ToDictionary(g => g.Platform, StringComparer.OrdinalIgnoreCase);

    public IMessengerGateway? Find(string platform) => _byPlatform.GetValueOrDefault(platform);

    public bool IsConfigured(string platform) => _byPlatform.ContainsKey(platform);

    public static string SettingFor(string platform) => platform switch
    {
        Platforms.Telegram => "TELEGRAM_TOKEN",
        Platforms.Brevo => "BREVO_API_KEY",
        _ => $"a gateway for platform '{platform}'",
    };

    public static string? PlatformForSource(string source) => source switch
    {
        Sources.Telegram => Platforms.Telegram,
        Sources.Instagram => Platforms.Brevo,
        _ => null,
    };
}
