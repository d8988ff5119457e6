using System.Collections.Concurrent;
using System.Globalization;

namespace MessengerAutoReply.TestSupport;

/// <summary>
/// The service as a real separate process (<c>dotnet MessengerAutoReply.ApiHost.dll</c> from the caller's build
/// output), configured by environment variables like an operator runs it: for what an in-process host cannot
/// show (a clean exit on bad settings, the printed key, SIGKILL). When the environment names SERVER_PORT (and
/// API_KEY), <see cref="Client"/> talks to it.
/// </summary>
public sealed class ServiceProcess : IAsyncDisposable
{
    public const string ApiHostAssembly = "MessengerAutoReply.ApiHost.dll";

    private readonly ChildProcess _process;

    private ServiceProcess(ChildProcess process, IDictionary<string, string> environment)
    {
        _process = process;
        if (environment.TryGetValue("SERVER_PORT", out var port) && int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out var number))
        {
            BaseUrl = new Uri($"http://127.0.0.1:{number}");
        }
        Client = new HttpClient { BaseAddress = BaseUrl, Timeout = TimeSpan.FromSeconds(10) };
        if (environment.TryGetValue("API_KEY", out var key) && !string.IsNullOrEmpty(key))
        {
            Client.DefaultRequestHeaders.Add("X-API-Key", key);
        }
    }

    /// <summary>Standard output, line by line.</summary>
    public ConcurrentQueue<string> Output => _process.Output;

    /// <summary>Standard error, line by line.</summary>
    public ConcurrentQueue<string> Errors => _process.Errors;

    /// <summary>Both streams in arrival order.</summary>
    public ConcurrentQueue<string> Lines => _process.Lines;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    /// <summary>The underlying process (its id, memory, tail of the output).</summary>
    public ChildProcess Process => _process;

    public Uri? BaseUrl { get; }

    /// <summary>An HTTP client for <see cref="BaseUrl"/> that sends API_KEY as X-API-Key when the environment set one.</summary>
    public HttpClient Client { get; }

    public static ServiceProcess Start(IDictionary<string, string> environment, string? workingDirectory = null, string assembly = ApiHostAssembly, string name = "the service") =>
        new(ChildProcess.StartDotnet(name, assembly, environment, workingDirectory), environment);

    /// <summary>Waits until /health/ready answers 2xx; fails with the output's tail when the process exits first.</summary>
    public Task WaitReadyAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        _process.WaitForHttpAsync(Client, new Uri(BaseUrl ?? throw new InvalidOperationException("SERVER_PORT is not set: no address to wait for."), "/health/ready"),
            timeout ?? TimeSpan.FromSeconds(60), cancellationToken);

    public Task WaitForExitAsync(TimeSpan timeout) => _process.WaitForExitAsync(timeout);

    /// <summary>SIGKILL: no shutdown code runs, as in a crash or an OOM kill. Returns once the process is gone.</summary>
    public void Kill() => _process.Kill();

    public async ValueTask DisposeAsync()
    {
        await _process.DisposeAsync();
        Client.Dispose();
    }
}
