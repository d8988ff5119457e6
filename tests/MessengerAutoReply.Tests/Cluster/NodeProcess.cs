using System.Collections.Concurrent;
using System.Diagnostics;

namespace MessengerAutoReply.Tests.Cluster;

/// <summary>
/// One service process (<c>dotnet MessengerAutoReply.Silo.dll</c> or <c>…ApiHost.dll</c>) from the test's build
/// output, with its settings in the environment, as an operator runs it. Signals are real: SIGKILL is a crash,
/// SIGTERM is what systemd, Docker and Kubernetes send to stop it.
/// </summary>
public sealed class NodeProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly DateTime _started = DateTime.UtcNow;

    private NodeProcess(string name, Process process)
    {
        Name = name;
        _process = process;
    }

    public string Name { get; }

    public int Id => _process.Id;

    /// <summary>stdout and stderr, interleaved in arrival order.</summary>
    public ConcurrentQueue<string> Lines { get; } = new();

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    public TimeSpan Uptime => DateTime.UtcNow - _started;

    /// <summary>How many lines had arrived when SIGTERM was sent: what the stop printed comes after.</summary>
    public int LinesAtSignal { get; private set; }

    public static NodeProcess Start(string name, string assembly, IReadOnlyDictionary<string, string> environment, string workingDirectory)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { Path.Combine(AppContext.BaseDirectory, assembly) },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
        };
        // Nothing of the test process's own settings leaks in (a developer's .env, DOTNET_ENVIRONMENT, ...).
        foreach (var key in info.Environment.Keys.Where(k => k.StartsWith("TELEGRAM_", StringComparison.Ordinal) || k.StartsWith("OPENAI_", StringComparison.Ordinal) || k.StartsWith("BREVO_", StringComparison.Ordinal)).ToList())
        {
            info.Environment.Remove(key);
        }
        info.Environment["Logging__Console__FormatterName"] = "simple";
        foreach (var (key, value) in environment)
        {
            info.Environment[key] = value;
        }
        var process = new Process { StartInfo = info };
        var node = new NodeProcess(name, process);
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) node.Lines.Enqueue(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) node.Lines.Enqueue(e.Data); };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return node;
    }

    /// <summary>SIGTERM: a graceful stop.</summary>
    public void Terminate()
    {
        if (_process.HasExited)
        {
            return;
        }
        LinesAtSignal = Lines.Count;
        using var kill = Process.Start(new ProcessStartInfo("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]) { UseShellExecute = false })!;
        kill.WaitForExit();
    }

    /// <summary>SIGKILL: no shutdown code runs, as in a crash or an OOM kill.</summary>
    public void KillHard()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }
    }

    /// <summary>Waits for the exit; false when it did not come in time.</summary>
    public async Task<bool> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
            // The redirected streams may still hold the last lines: WaitForExit() without a timeout drains them.
            _process.WaitForExit();
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    public string Output => string.Join('\n', Lines);

    /// <summary>What an operator must never see on a stop: an unhandled exception or a stack frame (after the SIGTERM).</summary>
    public IReadOnlyList<string> StackTraceLines() =>
        [.. Lines.Skip(LinesAtSignal).Where(l => l.Contains("Unhandled exception", StringComparison.Ordinal) || l.TrimStart().StartsWith("at ", StringComparison.Ordinal) || l.Contains("Exception:", StringComparison.Ordinal))];

    /// <summary>
    /// Stack lines of this process's own stop, without Orleans' reports about a peer that is already dead (a silo
    /// SIGKILLed earlier in the run): membership probes and call cancellations to it fail with a stack until the
    /// cluster declares it dead, whether or not this process is stopping.
    /// </summary>
    public IReadOnlyList<string> OwnStopStackTraceLines() =>
        [.. StackTraceLines().Where(l => !l.Contains("Orleans.Runtime.MembershipService", StringComparison.Ordinal)
            && !l.Contains("Orleans.Runtime.GrainCallCancellationManager", StringComparison.Ordinal)
            && !l.Contains("ConnectionRefused", StringComparison.Ordinal)
            && !l.Contains("Unable to connect to", StringComparison.Ordinal))];

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync(CancellationToken.None);
        }
        _process.Dispose();
    }
}
