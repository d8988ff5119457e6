namespace MessengerAutoReply.Operators.PocketBase;

/// <summary>An <c>operators</c> record (admin-only collection); <c>created</c>/<c>updated</c> are PocketBase's own.</summary>
internal sealed record OperatorRecord
{
    public string? Id { get; init; }
    public string Email { get; init; } = "";
    public string Name { get; init; } = "";
    public string Role { get; init; } = "";
    public string PasswordHash { get; init; } = "";
    public bool Disabled { get; init; }
    public string SecurityStamp { get; init; } = "";
    public string? Created { get; init; }
    public string? Updated { get; init; }

    public static OperatorRecord From(OperatorAccount account, bool withId) => new()
    {
        Id = withId ? account.Id : null,
        Email = OperatorAccount.NormalizeEmail(account.Email),
        Name = account.Name,
        Role = account.Role,
        PasswordHash = account.PasswordHash,
        Disabled = account.Disabled,
        SecurityStamp = account.SecurityStamp,
    };

    public OperatorAccount ToAccount() => new()
    {
        Id = Id!,
        Email = Email,
        Name = Name,
        Role = Role,
        PasswordHash = PasswordHash,
        Disabled = Disabled,
        SecurityStamp = SecurityStamp,
        Created = Archive.PocketBase.PocketBaseTime.Parse(Created) ?? default,
        Updated = Archive.PocketBase.PocketBaseTime.Parse(Updated) ?? default,
    };
}
