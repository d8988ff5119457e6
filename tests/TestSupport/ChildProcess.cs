using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;

namespace MessengerAutoReply.TestSupport;

/// <summary>
/// A process started by a test or the bench: its output kept (stdout and stderr apart and together, for
/// assertions and error messages), killed with its children on dispose.
/// </summary>
public sealed class ChildProcess : IAsyncDisposable
{
    private const int MaxKeptLines = 100_000;

    private readonly Process _process;

    private ChildProcess(Process process, string name)
    {
        _process = process;
        Name = name;
    }

    public string Name { get; }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    /// <summary>Standard output, line by line.</summary>
    public ConcurrentQueue<string> Output { get; } = new();

    /// <summary>Standard error, line by line.</summary>
    public ConcurrentQueue<string> Errors { get; } = new();

    /// <summary>Both streams, in the order the lines arrived.</summary>
    public ConcurrentQueue<string> Lines { get; } = new();

    /// <summary>Starts a .NET assembly from the caller's own build output with <c>dotnet</c>.</summary>
    public static ChildProcess StartDotnet(string name, string assembly, IDictionary<string, string>? environment = null, string? workingDirectory = null, params string[] args) =>
        Start(name, "dotnet", [Path.Combine(AppContext.BaseDirectory, assembly), .. args], environment, workingDirectory);

    public static ChildProcess Start(string name, string fileName, IEnumerable<string> args, IDictionary<string, string>? environment = null, string? workingDirectory = null)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? AppContext.BaseDirectory,
        };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
        }
        var process = new Process { StartInfo = info };
        var child = new ChildProcess(process, name);
        process.OutputDataReceived += (_, e) => child.Keep(child.Output, e.Data);
        process.ErrorDataReceived += (_, e) => child.Keep(child.Errors, e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    /// <summary>Runs a command to its end and returns what it printed (stdout, then stderr).</summary>
    public static async Task<string> RunAsync(string fileName, IEnumerable<string> args, CancellationToken cancellationToken = default)
    {
        var info = new ProcessStartInfo(fileName) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        return await stdout + await stderr;
    }

    private void Keep(ConcurrentQueue<string> stream, string? line)
    {
        if (line is null)
        {
            return;
        }
        stream.Enqueue(line);
        Lines.Enqueue(line);
        while (Lines.Count > MaxKeptLines && Lines.TryDequeue(out _))
        {
        }
        while (stream.Count > MaxKeptLines && stream.TryDequeue(out _))
        {
        }
    }

    public string Tail(int lines = 20) => string.Join(Environment.NewLine, Lines.TakeLast(lines));

    /// <summary>Resident set size now (VmRSS), in bytes.</summary>
    public long ResidentBytes()
    {
        foreach (var line in File.ReadLines($"/proc/{Id}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                var kb = line["VmRSS:".Length..].Trim().Split(' ')[0];
                return long.Parse(kb, CultureInfo.InvariantCulture) * 1024;
            }
        }
        return 0;
    }

    /// <summary>Polls <paramref name="url"/> until it answers 2xx; fails with the process's last lines when it exits or times out.</summary>
    public async Task WaitForHttpAsync(HttpClient http, Uri url, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        while (true)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"{Name} exited with {_process.ExitCode}:{Environment.NewLine}{Tail()}");
            }
            try
            {
                using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                cts.CancelAfter(TimeSpan.FromSeconds(2));
                using var response = await http.GetAsync(url, cts.Token);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
            {
            }
            if (Stopwatch.GetTimestamp() > deadline)
            {
                throw new TimeoutException($"{Name} did not answer {url} within {timeout}:{Environment.NewLine}{Tail()}");
            }
            await Task.Delay(100, cancellationToken);
        }
    }

    public async Task WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cts.Token);
    }

    /// <summary>SIGKILL to the process and its children: no shutdown code runs, as in a crash or an OOM kill.</summary>
    public void Kill()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }
        _process.WaitForExit();
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                await _process.WaitForExitAsync(cts.Token);
            }
        }
        catch (Exception ex) when (ex is InvalidOperationException or OperationCanceledException)
        {
        }
        _process.Dispose();
    }
}
