using System.Net;
using MessengerAutoReply.Fakes.Telegram;
using MessengerAutoReply.Hosting;
using MessengerAutoReply.Telegram;
using MessengerAutoReply.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using static MessengerAutoReply.Tests.Telegram.TelegramTestKit;

namespace MessengerAutoReply.Tests.Telegram;

public sealed class TelegramStartupTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_wrong_token_is_one_clear_log_line_and_the_service_keeps_running()
    {
        using var dir = new TempDir();
        await using var fake = await FakeTelegramServer.StartAsync(Ct);
        await using var service = await TestService.StartAsync(dir.Path, Settings(fake, ("TELEGRAM_TOKEN", "123456789:AAWrongTokenWrongTokenWrongToken")));

        await Eventually.True(() => service.Logs.Lines.Any(l => l.Contains("getMe answered 401", StringComparison.Ordinal)), what: "the 401 line");
        // Two more finished runs of the receiver's timer: one started after the line and ended, and tried nothing.
        var receiver = service.Grains.GetGrain<ITelegramReceiverGrain>(ITelegramReceiverGrain.Key);
        var ticks = await receiver.GetCompletedTicksAsync();
        await Eventually.Get(() => receiver.GetCompletedTicksAsync(), t => t >= ticks + 2, what: "two more runs of the receiver's timer");
        // The fake records what it refused (the call behind the line above is there): getUpdates was never tried
        // with the bad token, nor anything with the good one.
        Assert.Contains(fake.RejectedTokenCalls, m => m.Equals("getMe", StringComparison.OrdinalIgnoreCase));
        Assert.Single(service.Logs.Lines, l => l.Contains("getMe answered 401", StringComparison.Ordinal));
        Assert.DoesNotContain(fake.RejectedTokenCalls, m => m.Equals("getUpdates", StringComparison.OrdinalIgnoreCase));
        Assert.Contains(service.Logs.Lines, l => l.StartsWith("Error", StringComparison.Ordinal) && l.Contains("TELEGRAM_TOKEN", StringComparison.Ordinal));
        Assert.DoesNotContain(service.Logs.Lines, l => l.Contains("AAWrongToken", StringComparison.Ordinal));
        Assert.Empty(fake.Calls);

        using var health = await service.Client.GetAsync(new Uri("/health/live", UriKind.Relative), Ct);
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        using var chats = await service.Client.GetAsync(new Uri("/api/chats", UriKind.Relative), Ct);
        Assert.Equal(HttpStatusCode.OK, chats.StatusCode);
    }

    [Fact]
    public void Settings_are_checked_at_start_with_one_line_per_variable()
    {
        using var dir = new TempDir();
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["DATA_DIR"] = dir.Path,
            ["TELEGRAM_TOKEN"] = "not a token",
            ["TELEGRAM_WEBHOOK_SECRET"] = "spaces are not allowed",
            ["TELEGRAM_POLL_TIMEOUT"] = "90s",
        }).Build();

        var ex = Assert.Throws<InvalidSettingsException>(() => ServiceSettings.Load(configuration));

        Assert.Equal(3, ex.Errors.Count);
        Assert.Contains(ex.Errors, e => e.StartsWith("TELEGRAM_TOKEN:", StringComparison.Ordinal) && !e.Contains("not a token", StringComparison.Ordinal));
        Assert.Contains(ex.Errors, e => e.StartsWith("TELEGRAM_WEBHOOK_SECRET:", StringComparison.Ordinal));
        Assert.Contains(ex.Errors, e => e.StartsWith("TELEGRAM_POLL_TIMEOUT:", StringComparison.Ordinal));
    }
}
