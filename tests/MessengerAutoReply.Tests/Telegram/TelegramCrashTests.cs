using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
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
        var first = ServiceProcess.Start(dir.Path, fake);
        await using (first)
        {
            await fake.WaitForCallAsync("getFile", timeout: TimeSpan.FromSeconds(60), cancellationToken: Ct);
            first.Kill();
        }
        Assert.True(fake.PendingUpdateCount > 0, "the kill came after the updates were confirmed");

        await using var second = ServiceProcess.Start(dir.Path, fake);
        await second.WaitReadyAsync();
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

    /// <summary><c>dotnet MessengerAutoReply.ApiHost.dll</c> with settings in its environment, as an operator runs it.</summary>
    private sealed class ServiceProcess : IAsyncDisposable
    {
        private readonly Process _process;
        private readonly int _port;

        private ServiceProcess(Process process, int port)
        {
            _process = process;
            _port = port;
            Client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(10) };
            Client.DefaultRequestHeaders.Add("X-API-Key", TestService.ApiKey);
        }

        public ConcurrentQueue<string> Lines { get; } = new();

        public HttpClient Client { get; }

        public static ServiceProcess Start(string dataDir, FakeTelegramServer fake)
        {
            var port = FreePort.Next();
            var info = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "MessengerAutoReply.ApiHost.dll")])
            {
                WorkingDirectory = dataDir,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var (key, value) in Settings(fake))
            {
                info.Environment[key] = value;
            }
            info.Environment["DATA_DIR"] = dataDir;
            info.Environment["SERVER_PORT"] = port.ToString(CultureInfo.InvariantCulture);
            info.Environment["SILO_PORT"] = FreePort.Next().ToString(CultureInfo.InvariantCulture);
            info.Environment["GATEWAY_PORT"] = FreePort.Next().ToString(CultureInfo.InvariantCulture);
            info.Environment["API_KEY"] = TestService.ApiKey;
            info.Environment["PENDING_SWEEP_INTERVAL"] = "500ms";
            info.Environment["Logging__LogLevel__MessengerAutoReply.Telegram"] = "Debug";
            info.Environment["Logging__Console__FormatterName"] = "simple";
            var process = new Process { StartInfo = info };
            var service = new ServiceProcess(process, port);
            process.OutputDataReceived += (_, e) => { if (e.Data is not null) service.Lines.Enqueue(e.Data); };
            process.ErrorDataReceived += (_, e) => { if (e.Data is not null) service.Lines.Enqueue(e.Data); };
            process.Start();
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            return service;
        }

        public async Task WaitReadyAsync()
        {
            await Eventually.Get(async () =>
            {
                if (_process.HasExited)
                {
                    throw new InvalidOperationException($"The service exited with {_process.ExitCode}:\n{string.Join('\n', Lines)}");
                }
                try
                {
                    using var response = await Client.GetAsync(new Uri("/health/ready", UriKind.Relative), Ct);
                    return response.StatusCode;
                }
                catch (HttpRequestException)
                {
                    return HttpStatusCode.ServiceUnavailable;
                }
            }, s => s == HttpStatusCode.OK, TimeSpan.FromSeconds(60), $"the service on port {_port} to be ready");
        }

        public Task WaitForLineAsync(Func<string, bool> predicate) =>
            Eventually.True(() => _process.HasExited ? throw new InvalidOperationException($"The service exited:\n{string.Join('\n', Lines)}") : Lines.Any(predicate),
                TimeSpan.FromSeconds(60), "a log line of the service");

        public void Kill()
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }

        public async ValueTask DisposeAsync()
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync(CancellationToken.None);
            }
            Client.Dispose();
            _process.Dispose();
        }
    }
}
