using MessengerAutoReply.Hosting;

namespace MessengerAutoReply.ApiHost.Operators;

/// <summary>Sign-in settings (issue #17), read with the other settings at start.</summary>
public sealed class LoginOptions
{
    public const int MinPasswordLength = 8;
    public const string DefaultAdminEmail = "admin@localhost";
    public const string AdminPasswordFile = "admin-password";

    /// <summary>ADMIN_EMAIL: the first admin's address (created when there is no operator, or reset by ADMIN_PASSWORD).</summary>
    public string AdminEmail { get; init; } = DefaultAdminEmail;
    /// <summary>ADMIN_PASSWORD: when set, that account's password at every start (the way back in).</summary>
    public string? AdminPassword { get; init; }
    /// <summary>LOGIN_FAILURE_LIMIT: wrong passwords per account within the window, then 429.</summary>
    public int AccountFailureLimit { get; init; } = 5;
    /// <summary>LOGIN_ADDRESS_FAILURE_LIMIT: failed sign-ins per client address within the window, then 429.</summary>
    public int AddressFailureLimit { get; init; } = 20;
    /// <summary>LOGIN_FAILURE_WINDOW.</summary>
    public TimeSpan FailureWindow { get; init; } = TimeSpan.FromMinutes(5);
    /// <summary>SESSION_LIFETIME: an idle session ends after this (sliding: using it renews it).</summary>
    public TimeSpan SessionLifetime { get; init; } = TimeSpan.FromHours(12);

    public static LoginOptions Read(SettingsReader read)
    {
        var options = new LoginOptions
        {
            AdminEmail = read.String("ADMIN_EMAIL", DefaultAdminEmail).Trim().ToLowerInvariant(),
            AdminPassword = read.String("ADMIN_PASSWORD"),
            AccountFailureLimit = read.Int("LOGIN_FAILURE_LIMIT", 5, 1, 1_000_000),
            AddressFailureLimit = read.Int("LOGIN_ADDRESS_FAILURE_LIMIT", 20, 1, 1_000_000),
            FailureWindow = read.Duration("LOGIN_FAILURE_WINDOW", TimeSpan.FromMinutes(5)),
            SessionLifetime = read.Duration("SESSION_LIFETIME", TimeSpan.FromHours(12)),
        };
        if (!OperatorRules.IsEmail(options.AdminEmail))
        {
            read.Error("ADMIN_EMAIL", "expected an email address such as admin@example.com");
        }
        if (options.AdminPassword is { Length: < MinPasswordLength })
        {
            read.Error("ADMIN_PASSWORD", $"must be at least {MinPasswordLength} characters");
        }
        if (options.FailureWindow <= TimeSpan.Zero)
        {
            read.Error("LOGIN_FAILURE_WINDOW", "must be greater than zero");
        }
        if (options.SessionLifetime < TimeSpan.FromMinutes(1))
        {
            read.Error("SESSION_LIFETIME", "must be at least 1m");
        }
        return options;
    }
}
