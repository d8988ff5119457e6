using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace MessengerAutoReply.Bench;

public static class FreePort
{
    public static int Next()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

/// <summary>A process the bench started: its output kept for error messages, killed (with its children) on dispose.</summary>
public sealed class ChildProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _tail = new();

    private ChildProcess(Process process, string name)
    {
        _process = process;
        Name = name;
    }

    public string Name { get; }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>Starts a .NET assembly from the bench's own build output with <c>dotnet</c>.</summary>
    public static ChildProcess StartDotnet(string name, string assembly, IDictionary<string, string> environment, params string[] args) =>
        Start(name, "dotnet", [Path.Combine(AppContext.BaseDirectory, assembly), .. args], environment);

    /// <summary>
    /// Starts a referenced console assembly (the silo) under the bench's own runtime and dependency files: the
    /// silo's deps expect Microsoft.Extensions.* beside it, which this output takes from the ASP.NET framework.
    /// </summary>
    public static ChildProcess StartWithBenchRuntime(string name, string assembly, IDictionary<string, string> environment)
    {
        var dir = AppContext.BaseDirectory;
        return Start(name, "dotnet",
        [
            "exec",
            "--runtimeconfig", Path.Combine(dir, "MessengerAutoReply.Bench.runtimeconfig.json"),
            "--depsfile", Path.Combine(dir, "MessengerAutoReply.Bench.deps.json"),
            Path.Combine(dir, assembly),
        ], environment);
    }

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
        process.OutputDataReceived += (_, e) => child.Keep(e.Data);
        process.ErrorDataReceived += (_, e) => child.Keep(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    private void Keep(string? line)
    {
        if (line is null)
        {
            return;
        }
        _tail.Enqueue(line);
        while (_tail.Count > 200 && _tail.TryDequeue(out _))
        {
        }
    }

    public string Tail(int lines = 20) => string.Join(Environment.NewLine, _tail.TakeLast(lines));

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
    public async Task WaitForHttpAsync(HttpClient http, Uri url, TimeSpan timeout)
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
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                using var response = await http.GetAsync(url, cts.Token);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException)
            {
            }
            if (Stopwatch.GetTimestamp() > deadline)
            {
                throw new TimeoutException($"{Name} did not answer {url} within {timeout}:{Environment.NewLine}{Tail()}");
            }
            await Task.Delay(100);
        }
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

/// <summary>A temp folder removed on dispose.</summary>
public sealed class TempDir : IDisposable
{
    public TempDir(string prefix)
    {
        Path = Directory.CreateTempSubdirectory($"bench-{prefix}-").FullName;
    }

    public string Path { get; }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
