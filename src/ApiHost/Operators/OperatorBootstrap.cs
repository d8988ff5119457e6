using MessengerAutoReply.Archive;
using MessengerAutoReply.Hosting;
using MessengerAutoReply.Operators;

namespace MessengerAutoReply.ApiHost.Operators;

/// <summary>
/// The first admin (issue #17). With ADMIN_PASSWORD set, the ADMIN_EMAIL account (default admin@localhost) is
/// made to sign in with it at every start: created, or its password reset, re-enabled and made admin (the way
/// back in). Without it, and only while there is no operator at all, that account is created with a password
/// generated once into DATA_DIR/admin-password (0600) and printed once (decision 15). A store that is down at
/// start is retried in the background, so the service still starts.
/// </summary>
public sealed partial class OperatorBootstrap(
    IOperatorStore store,
    OperatorPasswords passwords,
    LoginOptions options,
    ServiceSettings settings,
    TimeProvider time,
    ILogger<OperatorBootstrap> logger) : IHostedService, IDisposable
{
    private readonly CancellationTokenSource _stopping = new();
    private Task? _background;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            await EnsureAsync(cancellationToken);
        }
        catch (ArchiveUnavailableException ex)
        {
            LogUnavailable(ex.Message);
            _background = Task.Run(() => RetryAsync(_stopping.Token), CancellationToken.None);
        }
    }

    private async Task RetryAsync(CancellationToken ct)
    {
        var pause = settings.PocketBase?.BootstrapRetry ?? TimeSpan.FromSeconds(1);
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(pause, time, ct);
                await EnsureAsync(ct);
                return;
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (ArchiveUnavailableException)
            {
                // Still down; the first failure was logged.
            }
        }
    }

    internal async Task EnsureAsync(CancellationToken ct)
    {
        var email = options.AdminEmail;
        var now = time.GetUtcNow();
        if (options.AdminPassword is { } password)
        {
            var existing = await store.FindByEmailAsync(email, ct);
            if (existing is null)
            {
                await CreateAsync(email, password, now, ct);
                LogCreatedFromSettings(email);
                return;
            }
            if (passwords.Verify(existing, password, out _) && existing.IsActiveAdmin)
            {
                return;
            }
            await store.UpdateAsync(existing with
            {
                PasswordHash = passwords.Hash(password),
                Role = OperatorRoles.Admin,
                Disabled = false,
                SecurityStamp = OperatorPasswords.NewStamp(),
                Updated = now,
            }, ct);
            LogReset(email);
            return;
        }
        if ((await store.ListAsync(1, 1, ct)).TotalItems > 0)
        {
            return;
        }
        var (generated, isNew) = PersistedSecret.GetOrCreate(settings.Hosting.DataDir, LoginOptions.AdminPasswordFile);
        if (!await CreateAsync(email, generated, now, ct))
        {
            return;
        }
        var file = Path.Combine(settings.Hosting.DataDir, LoginOptions.AdminPasswordFile);
        if (isNew)
        {
            // The one place this password is shown (decision 15): the operator must be able to copy it once.
            Console.WriteLine($"First admin: {email}, password (generated, stored in {file}): {generated}");
        }
        else
        {
            LogCreatedFromFile(email, file);
        }
    }

    /// <summary>False when another process created the account a moment ago.</summary>
    private async Task<bool> CreateAsync(string email, string password, DateTimeOffset now, CancellationToken ct)
    {
        try
        {
            await store.CreateAsync(new OperatorAccount
            {
                Id = WorkspaceIds.New(),
                Email = email,
                Name = "Admin",
                Role = OperatorRoles.Admin,
                PasswordHash = passwords.Hash(password),
                SecurityStamp = OperatorPasswords.NewStamp(),
                Created = now,
                Updated = now,
            }, ct);
            return true;
        }
        catch (OperatorEmailTakenException)
        {
            return false;
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        if (_background is not null)
        {
            await _background.WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    public void Dispose() => _stopping.Dispose();

    [LoggerMessage(Level = LogLevel.Information, Message = "First admin {Email} created with ADMIN_PASSWORD")]
    private partial void LogCreatedFromSettings(string email);

    [LoggerMessage(Level = LogLevel.Warning, Message = "ADMIN_PASSWORD is set: {Email} signs in with it again (password reset, enabled, admin); unset it once you are back in")]
    private partial void LogReset(string email);

    [LoggerMessage(Level = LogLevel.Information, Message = "First admin {Email} created; its password is in {Path}")]
    private partial void LogCreatedFromFile(string email, string path);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Operators cannot be read yet ({Error}); the first admin is set up once the store answers")]
    private partial void LogUnavailable(string error);
}
