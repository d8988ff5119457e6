namespace MessengerAutoReply.ApiHost.Operators;

/// <summary>What an operator's fields may hold.</summary>
public static class OperatorRules
{
    public const int MaxEmailLength = 254;
    public const int MaxNameLength = 100;
    public const int MaxPasswordLength = 256;

    public static bool IsEmail(string? email) =>
        email is { Length: > 2 and <= MaxEmailLength } && email.IndexOf('@', StringComparison.Ordinal) is > 0 and var at
        && at < email.Length - 1 && !email.Any(char.IsWhiteSpace) && email.Count(c => c == '@') == 1;

    /// <summary>Null when acceptable, else the problem.</summary>
    public static string? CheckPassword(string? password, string field) => password switch
    {
        null or "" => $"{field} is required.",
        { Length: < LoginOptions.MinPasswordLength } => $"{field} must be at least {LoginOptions.MinPasswordLength} characters.",
        { Length: > MaxPasswordLength } => $"{field} must be at most {MaxPasswordLength} characters.",
        _ => null,
    };

    public static string? CheckName(string? name) => name switch
    {
        null => null,
        _ when string.IsNullOrWhiteSpace(name) => "name must not be empty.",
        { Length: > MaxNameLength } => $"name must be at most {MaxNameLength} characters.",
        _ when name.Any(char.IsControl) => "name must not hold control characters.",
        _ => null,
    };
}
