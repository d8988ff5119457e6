using System.Security.Cryptography;

namespace MessengerAutoReply.Operators;

/// <summary>Random record ids in PocketBase's shape (15 characters of a-z0-9), so one id works in both stores.</summary>
public static class WorkspaceIds
{
    private const string Alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";

    public static string New() => RandomNumberGenerator.GetString(Alphabet, 15);

    public static bool IsValid(string? id) => id is { Length: 15 } && id.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9'));
}
