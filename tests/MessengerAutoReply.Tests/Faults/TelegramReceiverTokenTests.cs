using System.Globalization;
using MessengerAutoReply.Fakes.Telegram;
using MessengerAutoReply.Hosting;
using MessengerAutoReply.Telegram;
using MessengerAutoReply.Tests.Infrastructure;
using MessengerAutoReply.TestSupport;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using static MessengerAutoReply.Tests.Telegram.TelegramTestKit;

namespace MessengerAutoReply.Tests.Faults;

/// <summary>The poller's 401 while running (a token revoked in BotFather) and the new settings' checks.</summary>
public sealed class TelegramReceiverTokenTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_token_revoked_while_polling_stops_the_poller_with_one_error_line()
    {
        using var dir = new TempDir();
        await using var fake = await FakeTelegramServer.StartAsync(Ct);
        await using var service = await TestService.StartAsync(dir.Path, Settings(fake));
        var user = fake.CreateUser("Revoked");
        var update = fake.EnqueueText("before the revoke", from: user);
        await WaitForMessageAsync(service.Client, ChatIdOf(user.Id), update.MessageId!.Value.ToString(CultureInfo.InvariantCulture));

        // BotFather's /revoke: every later call with the old token is refused (the update ends the pending long poll).
        fake.Token = "123456789:AAnewTokenAfterRevokeNewTokenAfter";
        fake.EnqueueText("after the revoke", from: user);

        await Eventually.True(() => service.Logs.Lines.Any(l => l.Contains("getUpdates answered 401", StringComparison.Ordinal)), TimeSpan.FromSeconds(20), "the 401 line");
        Assert.Single(service.Logs.Lines, l => l.Contains("answered 401", StringComparison.Ordinal));
        Assert.Contains(service.Logs.Lines, l => l.StartsWith("Error", StringComparison.Ordinal) && l.Contains("TELEGRAM_TOKEN", StringComparison.Ordinal));
        Assert.Contains(fake.RejectedTokenCalls, m => m.Equals("getUpdates", StringComparison.OrdinalIgnoreCase));
        Assert.Equal(1, service.App.Services.GetRequiredService<TelegramReceiverMetrics>().ErrorsOf("unauthorized"));
    }

    [Fact]
    public void The_poller_settings_are_checked_at_start()
    {
        using var dir = new TempDir();
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["DATA_DIR"] = dir.Path,
            ["TELEGRAM_TOKEN"] = "123456789:AAvalidTokenValidTokenValidToken",
            ["TELEGRAM_POLL_EMPTY_BACKOFF"] = "0s",
            ["TELEGRAM_PARK_AFTER_ATTEMPTS"] = "0",
            ["TELEGRAM_POLL_BACKOFF_MAX"] = "0s",
        }).Build();

        var ex = Assert.Throws<InvalidSettingsException>(() => ServiceSettings.Load(configuration));

        Assert.Equal(3, ex.Errors.Count);
        Assert.Contains(ex.Errors, e => e.StartsWith("TELEGRAM_POLL_EMPTY_BACKOFF:", StringComparison.Ordinal));
        Assert.Contains(ex.Errors, e => e.StartsWith("TELEGRAM_PARK_AFTER_ATTEMPTS:", StringComparison.Ordinal));
        Assert.Contains(ex.Errors, e => e.StartsWith("TELEGRAM_POLL_BACKOFF_MAX:", StringComparison.Ordinal));
    }
}
