using System.Globalization;
using System.Text.RegularExpressions;
using MessengerAutoReply.Fakes.Telegram;
using MessengerAutoReply.Tests.Infrastructure;
using static MessengerAutoReply.Tests.Telegram.TelegramTestKit;

namespace MessengerAutoReply.Tests.Telegram;

/// <summary>The real service as a separate process, killed (SIGKILL) while it holds accepted but unconfirmed updates.</summary>
public sealed partial class TelegramCrashTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [GeneratedRegex(@"Telegram update (\d+) \(\w+\): (Accepted|Duplicate|Updated)")]
    private static partial Regex HandOff();

    [Fact]
    public async Task Killed_between_accepting_updates_and_confirming_them_nothing_is_lost_or_doubled()
    {
        using var dir = new TempDir();
        await using var fake = await FakeTelegramServer.StartAsync(Ct);
        var user = fake.CreateUser("Pavel");
        var chatId = ChatIdOf(user.Id);

        // Queued before the start, so the first getUpdates returns all 100 in one batch. One chat's updates are
        // handed over in order, one durable write each, and the batch's offset is persisted only after the 100th.
        // A voice note's file is fetched right after its message is stored, so the first getFile at the fake marks
        // the first acceptance (with no log-pipe delay): killing then lands inside the window.
        var updates = Enumerable.Range(0, 100).Select(_ => fake.EnqueueVoice(from: user)).ToList();
        var first = StartService(dir.Path, fake);
        await using (first)
        {
            await fake.WaitForCallAsync("getFile", timeout: TimeSpan.FromSeconds(60), cancellationToken: Ct);
            first.Kill();
        }
        Assert.True(fake.PendingUpdateCount > 0, "the kill came after the updates were confirmed");

        await using var second = StartService(dir.Path, fake);
        await second.WaitReadyAsync(cancellationToken: Ct);
        await fake.WaitForNoPendingUpdatesAsync(TimeSpan.FromSeconds(30), Ct);
        var messages = await WaitForMessagesAsync(second.Client, chatId, l => l.Count >= 100, "100 messages after the restart", TimeSpan.FromSeconds(30));

        Assert.Equal(100, messages.Count);
        Assert.Equal(updates.Select(u => u.MessageId!.Value), messages.Select(m => int.Parse(m.PlatformMessageId, CultureInfo.InvariantCulture)).Order());
        Assert.All(messages, m => Assert.Equal("voice", m.Type));
        // No update was accepted twice across both processes (the first may die between a durable write and its
        // log line, so "at most once" is what the logs can show), and the second saw redelivered ones as duplicates.
        var accepted = second.Lines.Concat(first.Lines).Select(l => HandOff().Match(l))
            .Where(m => m.Success && m.Groups[2].Value == "Accepted").Select(m => m.Groups[1].Value).ToList();
        Assert.Equal(accepted.Count, accepted.Distinct().Count());
        var duplicates = second.Lines.Count(l => HandOff().Match(l) is { Success: true } m && m.Groups[2].Value == "Duplicate");
        Assert.True(duplicates > 0, "the restart redelivered nothing: the kill missed the window");
        TestContext.Current.SendDiagnosticMessage($"{duplicates} updates redelivered after the kill and deduplicated");
    }

    /// <summary>The service with the fake's settings, its Telegram log at Debug (the hand-off lines above).</summary>
    private static ServiceProcess StartService(string dataDir, FakeTelegramServer fake)
    {
        var environment = Settings(fake).Where(s => s.Value is not null).ToDictionary(s => s.Key, s => s.Value!);
        environment["DATA_DIR"] = dataDir;
        environment["SERVER_PORT"] = FreePort.Next().ToString(CultureInfo.InvariantCulture);
        environment["SILO_PORT"] = FreePort.Next().ToString(CultureInfo.InvariantCulture);
        environment["GATEWAY_PORT"] = FreePort.Next().ToString(CultureInfo.InvariantCulture);
        environment["API_KEY"] = TestService.ApiKey;
        environment["PENDING_SWEEP_INTERVAL"] = "500ms";
        environment["Logging__LogLevel__MessengerAutoReply.Telegram"] = "Debug";
        environment["Logging__Console__FormatterName"] = "simple";
        return ServiceProcess.Start(environment, workingDirectory: dataDir);
    }
}
