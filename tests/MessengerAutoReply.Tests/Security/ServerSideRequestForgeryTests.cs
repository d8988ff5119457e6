using System.Net;
using System.Net.Sockets;
using System.Text;
using MessengerAutoReply.Brevo;
using MessengerAutoReply.Media;
using MessengerAutoReply.Security;
using MessengerAutoReply.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace MessengerAutoReply.Tests.Security;

/// <summary>
/// Attacks the Brevo attachment fetch with links an attacker who knows the webhook URL would send: plain http,
/// a loopback or metadata IP, a name that resolves to loopback, and a redirect from a trusted origin into the
/// internal network. None reaches the target, none is retried; OUTBOUND_ALLOW_PRIVATE lifts the address rule.
/// </summary>
public sealed class ServerSideRequestForgeryTests : IAsyncDisposable
{
    private readonly CancellationToken _ct = TestContext.Current.CancellationToken;
    private readonly TinyHttpServer _internal = new("HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nContent-Length: 6\r\nConnection: close\r\n\r\nsecret");
    private readonly TinyHttpServer _trusted;

    public ServerSideRequestForgeryTests() =>
        _trusted = new TinyHttpServer($"HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:{_internal.Port}/redis\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");

    public async ValueTask DisposeAsync()
    {
        await _internal.DisposeAsync();
        await _trusted.DisposeAsync();
    }

    [Theory]
    [InlineData("http://127.0.0.1:{internal}/x", "https")]
    [InlineData("https://127.0.0.1:{internal}/x", "not a public address")]
    [InlineData("https://169.254.169.254/latest/meta-data/", "not a public address")]
    [InlineData("https://[::ffff:127.0.0.1]:{internal}/x", "not a public address")]
    [InlineData("https://localhost:{internal}/x", "not a public address")]
    [InlineData("gopher://127.0.0.1:{internal}/x", "no downloadable link")]
    public async Task A_link_to_an_internal_or_plain_http_target_is_never_fetched(string link, string reason)
    {
        var result = await FetchAsync(link.Replace("{internal}", _internal.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal), allowPrivate: false);
        Assert.Null(result.Content);
        Assert.Contains(reason, result.Unavailable, StringComparison.Ordinal);
        Assert.Equal(0, _internal.Connections);
    }

    [Fact]
    public async Task A_redirect_from_a_trusted_origin_into_the_internal_network_is_refused_once_not_retried()
    {
        var result = await FetchAsync($"http://127.0.0.1:{_trusted.Port}/file", allowPrivate: false);
        Assert.Null(result.Content);
        Assert.Contains("not a public address", result.Unavailable, StringComparison.Ordinal);
        Assert.Equal(0, _internal.Connections);
        Assert.Equal(1, _trusted.Connections);
    }

    [Fact]
    public async Task OUTBOUND_ALLOW_PRIVATE_lifts_the_address_rule()
    {
        var result = await FetchAsync($"http://127.0.0.1:{_trusted.Port}/file", allowPrivate: true);
        Assert.Equal("secret", Encoding.ASCII.GetString(result.Content!.Bytes.Span));
    }

    [Theory]
    [InlineData("127.0.0.1", true)]
    [InlineData("10.1.2.3", true)]
    [InlineData("172.20.0.5", true)]
    [InlineData("192.168.1.1", true)]
    [InlineData("100.64.1.1", true)]
    [InlineData("169.254.169.254", true)]
    [InlineData("0.0.0.0", true)]
    [InlineData("::1", true)]
    [InlineData("fe80::1", true)]
    [InlineData("fd00:ec2::254", true)]
    [InlineData("::ffff:10.0.0.1", true)]
    [InlineData("8.8.8.8", false)]
    [InlineData("2606:4700:4700::1111", false)]
    public void Addresses_are_classified(string address, bool forbidden) =>
        Assert.Equal(forbidden, OutboundPolicy.IsForbidden(IPAddress.Parse(address)));

    private async Task<MediaFetchResult> FetchAsync(string link, bool allowPrivate)
    {
        // BREVO_API_URL points at the "trusted" server: its own origin is trusted as configured (decision 24).
        var policy = new OutboundPolicy(allowPrivate, [new Uri($"http://127.0.0.1:{_trusted.Port}/v3")]);
        var services = new ServiceCollection();
        services.AddSingleton(policy);
        services.AddHttpClient(BrevoMediaFetcher.HttpClientName)
            .ConfigurePrimaryHttpMessageHandler(sp => GuardedHttpHandler.Create(sp.GetRequiredService<OutboundPolicy>()))
            .AddStandardResilienceHandler(o =>
            {
                o.Retry.Delay = TimeSpan.FromMilliseconds(10);
                o.Retry.ShouldHandle = args => ValueTask.FromResult(
                    args.Outcome.Exception is not HttpRequestException { InnerException: OutboundRefusedException }
                    && Microsoft.Extensions.Http.Resilience.HttpClientResiliencePredicates.IsTransient(args.Outcome));
            });
        await using var provider = services.BuildServiceProvider();
        using var media = new TempDir();
        using var downloads = TestMediaDownloads.In(media.Path);
        var fetcher = new BrevoMediaFetcher(provider.GetRequiredService<IHttpClientFactory>(), Options.Create(new BrevoOptions()), policy, downloads, NullLogger<BrevoMediaFetcher>.Instance);
        return await fetcher.FetchAsync(new MediaRef { Platform = "brevo", PlatformFileId = link, MimeType = "image/png", FileName = "a.png" }, _ct);
    }

    /// <summary>Answers every connection with one canned response and counts the connections.</summary>
    private sealed class TinyHttpServer : IAsyncDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _loop;
        private int _connections;

        public TinyHttpServer(string response)
        {
            _listener.Start();
            _loop = Task.Run(async () =>
            {
                while (!_stop.IsCancellationRequested)
                {
                    using var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                    Interlocked.Increment(ref _connections);
                    var stream = client.GetStream();
                    var buffer = new byte[8192];
                    _ = await stream.ReadAsync(buffer, _stop.Token);
                    await stream.WriteAsync(Encoding.ASCII.GetBytes(response), _stop.Token);
                }
            });
        }

        public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

        public int Connections => Volatile.Read(ref _connections);

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            _listener.Stop();
            try
            {
                await _loop;
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
            }
            _stop.Dispose();
        }
    }
}
