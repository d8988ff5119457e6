namespace MessengerAutoReply.Operators;

/// <summary>
/// An operator as stored (issue #17). <see cref="PasswordHash"/> is Identity's PasswordHasher output and never
/// leaves the API host: answers use <see cref="OperatorInfo"/>. <see cref="SecurityStamp"/> changes whenever a
/// session must end (password changed, disabled, removed): a cookie carrying an older stamp is refused.
/// </summary>
public sealed record OperatorAccount
{
    public required string Id { get; init; }
    /// <summary>Stored lower-case and trimmed: one account per address, whatever the case typed.</summary>
    public required string Email { get; init; }
    public required string Name { get; init; }
    public required string Role { get; init; }
    public required string PasswordHash { get; init; }
    public bool Disabled { get; init; }
    public required string SecurityStamp { get; init; }
    public DateTimeOffset Created { get; init; }
    public DateTimeOffset Updated { get; init; }

    public bool IsActiveAdmin => Role == OperatorRoles.Admin && !Disabled;

    public OperatorInfo ToInfo() => new(Id, Email, Name, Role, Disabled, Created, Updated);

    public static string NormalizeEmail(string email) => email.Trim().ToLowerInvariant();
}
