using System.Security.Cryptography;
using System.Text;

namespace MessengerAutoReply.ApiHost.Api;

/// <summary>
/// What the API accepts as a <c>source</c> or a chat id. These values end up in archive filters and ids, so
/// anything outside a plain character set is refused with 400 rather than escaped and hoped for.
/// </summary>
public static class InputRules
{
    public const int MaxPlatformChatIdLength = 200;

    /// <summary>A channel name: lowercase letters, digits, <c>-</c> and <c>_</c>, at most 40.</summary>
    public static bool IsSafeSource(string value) =>
        value.Length is > 0 and <= 40 && value.All(c => c is >= 'a' and <= 'z' or >= '0' and <= '9' or '-' or '_');

    /// <summary>
    /// A platform's chat id (Telegram's <c>-100123</c>, Brevo's visitor ids, an e-mail address or phone for
    /// other channels): letters, digits and <c>- _ . : @ +</c>, at most 200.
    /// </summary>
    public static bool IsSafePlatformChatId(string value) =>
        value.Length is > 0 and <= MaxPlatformChatIdLength
        && value.All(c => c is >= 'a' and <= 'z' or >= 'A' and <= 'Z' or >= '0' and <= '9' or '-' or '_' or '.' or ':' or '@' or '+');

    /// <summary>
    /// The delivery key of an API request with an <c>Idempotency-Key</c>: its hash, so the client's text never
    /// reaches an id, a <c>pending:</c> platform id or an archive filter, whatever it holds.
    /// </summary>
    public static string DeliveryKeyFor(string idempotencyKey) =>
        "api:h:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(idempotencyKey)))[..32];
}
