using System.Security.Cryptography;
using System.Text;

namespace MessengerAutoReply.Chats;

/// <summary>
/// Deterministic, PocketBase-shaped ids (15 chars of [a-z0-9]): every write becomes an idempotent upsert and
/// every retry lands on the same record.
/// </summary>
public static class ChatIds
{
    private const string Alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
    public const int Length = 15;

    public static string ForChat(string source, string platformChatId) => Derive("chat", source, platformChatId);

    public static string ForIncoming(string chatId, string platformMessageId) => Derive("in", chatId, platformMessageId);

    /// <summary>An outgoing message's id is known before it is sent: it derives from its delivery key.</summary>
    public static string ForOutgoing(string chatId, string deliveryKey, int part = 0) =>
        Derive("out", chatId, part == 0 ? deliveryKey : $"{deliveryKey}#{part}");

    public static string ForMedia(string platform, string platformFileId) => Derive("media", platform, platformFileId);

    public static bool IsValid(string? id) =>
        id is { Length: Length } && id.All(c => c is >= 'a' and <= 'z' or >= '0' and <= '9');

    private static string Derive(string kind, string a, string b)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes($"{kind}\n{a}\n{b}"), hash);
        Span<char> id = stackalloc char[Length];
        // 15 base-36 digits from 15 bytes: a small modulo bias is irrelevant for ids.
        for (var i = 0; i < Length; i++)
        {
            id[i] = Alphabet[hash[i] % Alphabet.Length];
        }
        return new string(id);
    }
}
