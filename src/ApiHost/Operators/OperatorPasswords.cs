using MessengerAutoReply.Operators;
using Microsoft.AspNetCore.Identity;

namespace MessengerAutoReply.ApiHost.Operators;

/// <summary>ASP.NET Core Identity's PasswordHasher (PBKDF2, versioned format): no hand-written crypto.</summary>
public sealed class OperatorPasswords
{
    private static readonly OperatorAccount Nobody = new()
    {
        Id = "nobody", Email = "", Name = "", Role = OperatorRoles.Agent, PasswordHash = "", SecurityStamp = "",
    };

    private readonly PasswordHasher<OperatorAccount> _hasher = new();
    private readonly Lazy<string> _dummyHash;

    public OperatorPasswords() => _dummyHash = new Lazy<string>(() => _hasher.HashPassword(Nobody, Guid.NewGuid().ToString()));

    public string Hash(string password) => _hasher.HashPassword(Nobody, password);

    /// <summary>Checks <paramref name="password"/>; <paramref name="rehash"/> is a fresh hash when the stored one is of an older format.</summary>
    public bool Verify(OperatorAccount? account, string password, out string? rehash)
    {
        rehash = null;
        if (account is null)
        {
            // As long as for a real account: a sign-in must not tell which addresses exist by its timing.
            _hasher.VerifyHashedPassword(Nobody, _dummyHash.Value, password);
            return false;
        }
        var result = _hasher.VerifyHashedPassword(account, account.PasswordHash, password);
        if (result == PasswordVerificationResult.SuccessRehashNeeded)
        {
            rehash = Hash(password);
        }
        return result != PasswordVerificationResult.Failed;
    }

    public static string NewStamp() => Guid.NewGuid().ToString("N");
}
