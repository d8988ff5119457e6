using System.Diagnostics;
using System.Net;

namespace MessengerAutoReply.Bench;

/// <summary>What one load run measured: successful requests per second and their latency.</summary>
public sealed record LoadResult(string Name, int Ok, int Errors, TimeSpan Elapsed, Percentiles Latency, string? FirstError)
{
    public double RatePerSecond => Elapsed > TimeSpan.Zero ? Ok / Elapsed.TotalSeconds : 0;
}

/// <summary>
/// The one load client of the bench: every figure, ours and the limits', is measured through it, so the ratios
/// compare like with like. Loopback only; bounded in concurrency, count and time.
/// </summary>
public sealed class LoadClient : IDisposable
{
    private readonly SocketsHttpHandler _handler;

    public LoadClient()
    {
        _handler = new SocketsHttpHandler
        {
            UseProxy = false,
            UseCookies = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            ConnectTimeout = TimeSpan.FromSeconds(5),
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(2),
            MaxConnectionsPerServer = int.MaxValue,
        };
        Http = new HttpClient(_handler, disposeHandler: false) { Timeout = TimeSpan.FromSeconds(60) };
    }

    /// <summary>Shared by the load runs, SSE subscribers and REST probes (one connection pool).</summary>
    public HttpClient Http { get; }

    /// <summary>
    /// Closed loop: <paramref name="concurrency"/> workers send back to back until <paramref name="count"/>
    /// requests are done or <paramref name="maxDuration"/> is over. With <paramref name="ratePerSecond"/>, an
    /// open loop instead: request i is due at start + i/rate, and its latency counts from when it was due, so a
    /// stalled server cannot hide its queue (no coordinated omission).
    /// </summary>
    public async Task<LoadResult> RunAsync(
        string name,
        int count,
        int concurrency,
        TimeSpan maxDuration,
        Func<int, HttpRequestMessage> request,
        double? ratePerSecond = null,
        Action<int>? onSuccess = null,
        CancellationToken cancellationToken = default)
    {
        var latencies = new double[count];
        var done = new bool[count];
        var next = -1;
        var ok = 0;
        var errors = 0;
        string? firstError = null;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(maxDuration);
        var started = Stopwatch.GetTimestamp();

        async Task Worker()
        {
            while (!deadline.IsCancellationRequested)
            {
                var i = Interlocked.Increment(ref next);
                if (i >= count)
                {
                    return;
                }
                var due = started;
                if (ratePerSecond is { } rate)
                {
                    due = started + (long)(i / rate * Stopwatch.Frequency);
                    var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), due);
                    if (wait > TimeSpan.Zero)
                    {
                        try
                        {
                            await Task.Delay(wait, deadline.Token);
                        }
                        catch (OperationCanceledException)
                        {
                            return;
                        }
                    }
                }
                var sent = ratePerSecond is null ? Stopwatch.GetTimestamp() : due;
                string? error = null;
                try
                {
                    using var message = request(i);
                    using var response = await Http.SendAsync(message, HttpCompletionOption.ResponseContentRead, deadline.Token);
                    if (!response.IsSuccessStatusCode)
                    {
                        error = $"{(int)response.StatusCode} {response.ReasonPhrase}: {Trim(await response.Content.ReadAsStringAsync(CancellationToken.None))}";
                    }
                }
                catch (OperationCanceledException) when (deadline.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception ex)
                {
                    error = ex.GetType().Name + ": " + ex.Message;
                }
                if (error is null)
                {
                    latencies[i] = Stopwatch.GetElapsedTime(sent).TotalMilliseconds;
                    done[i] = true;
                    Interlocked.Increment(ref ok);
                    onSuccess?.Invoke(i);
                }
                else
                {
                    Interlocked.Increment(ref errors);
                    Interlocked.CompareExchange(ref firstError, error, null);
                }
            }
        }

        var workers = Enumerable.Range(0, Math.Max(1, concurrency)).Select(_ => Task.Run(Worker)).ToArray();
        await Task.WhenAll(workers);
        var elapsed = Stopwatch.GetElapsedTime(started);
        var measured = latencies.Where((_, i) => done[i]).ToArray();
        return new LoadResult(name, ok, errors, elapsed, Percentiles.Of(measured), firstError);
    }

    private static string Trim(string text) => text.Length <= 300 ? text : text[..300] + "…";

    public void Dispose()
    {
        Http.Dispose();
        _handler.Dispose();
    }
}

/// <summary>p50/p99/max of a sample, in milliseconds; NaN for an empty sample.</summary>
public sealed record Percentiles(int Count, double P50, double P99, double Max)
{
    public static Percentiles Of(IReadOnlyCollection<double> values)
    {
        if (values.Count == 0)
        {
            return new Percentiles(0, double.NaN, double.NaN, double.NaN);
        }
        var sorted = values.Order().ToArray();
        return new Percentiles(sorted.Length, Rank(sorted, 0.50), Rank(sorted, 0.99), sorted[^1]);
    }

    /// <summary>Nearest-rank percentile.</summary>
    private static double Rank(double[] sorted, double q) => sorted[Math.Clamp((int)Math.Ceiling(q * sorted.Length) - 1, 0, sorted.Length - 1)];
}
