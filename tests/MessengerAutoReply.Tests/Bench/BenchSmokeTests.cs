using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using MessengerAutoReply.Tests.Infrastructure;

namespace MessengerAutoReply.Tests.Bench;

/// <summary>
/// The benchmark's <c>--smoke</c> run as a process, the way an operator runs it: every figure issue #9 names must
/// come out as a number. Nothing about speed is asserted; the two correctness figures (one AI run per chat at a
/// time, every customer answered) are.
/// </summary>
public sealed class BenchSmokeTests
{
    private static readonly string[] RequiredKeys =
    [
        "ingest_msgs_per_s", "kestrel_noop_req_per_s", "ingest_ratio_to_kestrel", "ack_p99_ms", "sse_lag_p99_ms",
        "reply_overhead_p99_ms", "max_parallel_runs_per_chat", "unanswered", "telegram_429s", "bytes_per_chat", "cluster_cpu_per_1k_ratio",
    ];

    [Fact]
    public async Task Smoke_run_produces_every_figure_as_a_number()
    {
        var ct = TestContext.Current.CancellationToken;
        using var dir = new TempDir();
        var jsonPath = Path.Combine(dir.Path, "bench.json");
        var info = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { BenchAssembly(), "--smoke", "--json", jsonPath },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = dir.Path,
        };
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        var stderr = process.StandardError.ReadToEndAsync(ct);
        using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct))
        {
            // --smoke aims at 30 s; a busy test machine gets slack, a hung run does not get forever.
            timeout.CancelAfter(TimeSpan.FromMinutes(3));
            try
            {
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw;
            }
        }
        var output = await stdout;
        var errors = await stderr;
        Assert.True(process.ExitCode == 0, $"the bench exited with {process.ExitCode}:{Environment.NewLine}{errors}{Environment.NewLine}{output}");

        var figures = JsonNode.Parse(await File.ReadAllTextAsync(jsonPath, ct))!.AsObject();
        foreach (var key in RequiredKeys)
        {
            Assert.True(figures[key] is JsonValue value && value.GetValueKind() == JsonValueKind.Number,
                $"{key} is not a number: {figures[key]?.ToJsonString() ?? "missing"}");
        }
        Assert.Equal(1, figures["max_parallel_runs_per_chat"]!.GetValue<double>());
        Assert.Equal(0, figures["unanswered"]!.GetValue<double>());
        Assert.Contains("| scenario | figure | measured |", output, StringComparison.Ordinal);
    }

    /// <summary>The bench's own build output (same configuration as this test's), where it finds the service's assemblies.</summary>
    private static string BenchAssembly()
    {
        var here = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var framework = here.Name;
        var configuration = here.Parent!.Name;
        for (var dir = here; dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "bench", "bin", configuration, framework, "MessengerAutoReply.Bench.dll");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }
        throw new InvalidOperationException($"MessengerAutoReply.Bench.dll ({configuration}/{framework}) was not built: build bench/Bench.csproj.");
    }
}
