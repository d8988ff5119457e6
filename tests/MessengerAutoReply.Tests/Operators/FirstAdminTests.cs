using System.Net;
using MessengerAutoReply.Hosting;
using MessengerAutoReply.Tests.Infrastructure;

namespace MessengerAutoReply.Tests.Operators;

/// <summary>The first admin: generated once into the data folder, or from ADMIN_PASSWORD, which also resets it.</summary>
public sealed class FirstAdminTests
{
    private readonly CancellationToken _ct = TestContext.Current.CancellationToken;

    [Fact]
    public async Task Without_settings_admin_at_localhost_gets_a_generated_password_in_a_0600_file_and_ADMIN_PASSWORD_resets_it()
    {
        using var data = new TempDir();
        var file = Path.Combine(data.Path, "admin-password");
        string generated;
        await using (var first = await TestService.StartAsync(data.Path))
        {
            Assert.True(File.Exists(file));
            if (!OperatingSystem.IsWindows())
            {
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
            }
            generated = (await File.ReadAllTextAsync(file, _ct)).Trim();
            Assert.True(generated.Length >= 32);
            using var session = await OperatorSession.SignInAsync(first, "admin@localhost", generated);
            Assert.Equal(HttpStatusCode.OK, (await session.Http.GetAsync("/api/operators", _ct)).StatusCode);
            Assert.DoesNotContain(first.Logs.Lines, l => l.Contains(generated, StringComparison.Ordinal));
        }
        // A restart keeps the account and the file as they are.
        await using (var again = await TestService.StartAsync(data.Path))
        {
            Assert.Equal(generated, (await File.ReadAllTextAsync(file, _ct)).Trim());
            using var session = await OperatorSession.SignInAsync(again, "admin@localhost", generated);
        }
        // The way back in: ADMIN_PASSWORD sets that account's password at start.
        await using (var reset = await TestService.StartAsync(data.Path, new Dictionary<string, string?> { ["ADMIN_PASSWORD"] = "back-in-password" }))
        {
            using var old = new OperatorSession(reset);
            Assert.Equal(HttpStatusCode.Unauthorized, (await old.LoginAsync("admin@localhost", generated)).StatusCode);
            using var session = await OperatorSession.SignInAsync(reset, "admin@localhost", "back-in-password");
            Assert.Contains(reset.Logs.Lines, l => l.Contains("ADMIN_PASSWORD is set", StringComparison.Ordinal));
            Assert.DoesNotContain(reset.Logs.Lines, l => l.Contains("back-in-password", StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task A_short_ADMIN_PASSWORD_or_a_bad_ADMIN_EMAIL_stops_the_start_naming_the_variable()
    {
        using var data = new TempDir();
        var error = await Assert.ThrowsAsync<InvalidSettingsException>(() => TestService.StartAsync(data.Path, new Dictionary<string, string?>
        {
            ["ADMIN_PASSWORD"] = "short",
            ["ADMIN_EMAIL"] = "nobody",
        }));
        Assert.Contains(error.Errors, e => e.StartsWith("ADMIN_PASSWORD:", StringComparison.Ordinal));
        Assert.Contains(error.Errors, e => e.StartsWith("ADMIN_EMAIL:", StringComparison.Ordinal));
        Assert.DoesNotContain(error.Errors, e => e.Contains("short", StringComparison.Ordinal) && !e.Contains("characters", StringComparison.Ordinal));
    }
}
