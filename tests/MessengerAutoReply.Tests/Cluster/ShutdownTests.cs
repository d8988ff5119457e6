using System.Globalization;
using System.Net;
using MessengerAutoReply.Tests.Infrastructure;

namespace MessengerAutoReply.Tests.Cluster;

/// <summary>
/// SIGTERM at any moment, start-up included, ends ApiHost and Silo with exit code 0 and no stack trace: real
/// processes, signalled at several moments of their start (before the host is built, while Kestrel binds, while
/// the Orleans client looks for a gateway or the silo joins) and once they are up.
/// </summary>
[Collection(ClusterFaultCollection.Name)]
public sealed class ShutdownTests(RedisFixture redis)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static TheoryData<string, int> Moments => new()
    {
        { "api-embedded", 0 }, { "api-embedded", 700 }, { "api-embedded", 2000 }, { "api-embedded", -1 },
        { "api-cluster-no-silo", 0 }, { "api-cluster-no-silo", 1500 }, { "api-cluster-no-silo", 4000 },
        { "silo", 0 }, { "silo", 900 }, { "silo", 2500 }, { "silo", -1 },
    };

    /// <summary>
    /// <paramref name="afterMs"/> 0: at the first line the process prints (Main is running: before it, while the
    /// runtime loads, no process can handle a signal); -1: once the process is up (ready, or joined).
    /// </summary>
    [Theory]
    [MemberData(nameof(Moments))]
    public async Task Sigterm_ends_the_process_with_0_and_no_stack_trace(string role, int afterMs)
    {
        using var dir = new TempDir();
        var port = FreePort.Next();
        var env = new Dictionary<string, string>
        {
            ["DATA_DIR"] = dir.Path,
            ["API_KEY"] = "shutdown-test-key",
            ["SERVER_PORT"] = port.ToString(CultureInfo.InvariantCulture),
            ["SILO_PORT"] = FreePort.Next().ToString(CultureInfo.InvariantCulture),
            ["GATEWAY_PORT"] = FreePort.Next().ToString(CultureInfo.InvariantCulture),
        };
        if (role != "api-embedded")
        {
            env["REDIS_URL"] = redis.Url;
            env["ORLEANS_SERVICE_ID"] = "shutdown-" + Guid.NewGuid().ToString("N")[..8];
        }
        await using var node = NodeProcess.Start(role, role == "silo" ? "MessengerAutoReply.Silo.dll" : "MessengerAutoReply.ApiHost.dll", env, dir.Path);
        if (afterMs == 0)
        {
            await Eventually.True(() => node.HasExited || !node.Lines.IsEmpty, TimeSpan.FromSeconds(30), "the first line of output");
        }
        else if (afterMs > 0)
        {
            await Task.Delay(afterMs, Ct);
        }
        else if (role == "silo")
        {
            await Eventually.True(() => node.HasExited || node.Lines.Any(l => l.Contains("Application started", StringComparison.Ordinal)), TimeSpan.FromSeconds(60), "the silo started");
        }
        else
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
            await Eventually.Get(async () =>
            {
                try
                {
                    using var response = await http.GetAsync(new Uri($"http://127.0.0.1:{port}/health/ready"), Ct);
                    return response.StatusCode;
                }
                catch (HttpRequestException)
                {
                    return HttpStatusCode.ServiceUnavailable;
                }
            }, s => s == HttpStatusCode.OK || node.HasExited, TimeSpan.FromSeconds(60), "the API host ready");
        }
        Assert.False(node.HasExited, $"{role} exited before the signal:\n{node.Output}");

        node.Terminate();

        Assert.True(await node.WaitForExitAsync(TimeSpan.FromSeconds(30)), $"{role} still runs 30 s after SIGTERM:\n{node.Output}");
        Assert.True(node.ExitCode == 0, $"{role} exited with {node.ExitCode} after SIGTERM at {afterMs} ms:\n{node.Output}");
        Assert.True(node.StackTraceLines().Count == 0, $"{role} logged a stack trace after SIGTERM at {afterMs} ms:\n{node.Output}");
    }
}
