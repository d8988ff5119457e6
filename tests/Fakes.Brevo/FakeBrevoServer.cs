using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace MessengerAutoReply.Fakes.Brevo;

/// <summary>
/// Loopback stand-in for Brevo Conversations: the REST API the service sends agent replies through
/// (<see cref="ApiBaseUrl"/> replaces <c>https://api.brevo.com/v3</c>) and the webhook sender that posts
/// conversation events to the service (<see cref="WebhookUrl"/>). Wire format follows
/// shared/reference/brevo-conversations.md; fields that reference tags [UNVERIFIED] are marked where emitted.
/// </summary>
public sealed partial class FakeBrevoServer : IAsyncDisposable
{
    public const string DefaultApiKey = "xkeysib-0123456789abcdef-FakeBrevoTestKey";

    private static readonly JsonSerializerOptions WireJson = new() { WriteIndented = false };

    private readonly Lock _gate = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly HttpClient _webhookClient;
    private readonly List<Task> _background = [];

    private readonly Dictionary<string, FakeBrevoAgent> _agents = new(StringComparer.Ordinal);
    private readonly Dictionary<string, FakeBrevoVisitor> _visitors = new(StringComparer.Ordinal);
    private readonly Dictionary<string, StoredMessage> _messages = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<string>> _conversationMessageIds = new(StringComparer.Ordinal);
    private readonly Dictionary<string, StoredFile> _files = new(StringComparer.Ordinal);
    private readonly Queue<InjectedFailure> _failures = new();

    private readonly List<SentMessage> _sent = [];
    private readonly List<RecordedRequest> _requests = [];
    private readonly List<WebhookDelivery> _deliveries = [];

    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private DateTimeOffset _windowStart = DateTimeOffset.MinValue;
    private int _windowCount;
    private int _tooManyRequests;
    private int _fileDownloads;
    private WebApplication? _app;

    private FakeBrevoServer()
    {
        _webhookClient = new HttpClient(new SocketsHttpHandler { UseProxy = false });
        DefaultAgent = new FakeBrevoAgent(BrevoIds.NewId(), "Acme Assistant", "bot@acme.example");
        HumanAgent = new FakeBrevoAgent(BrevoIds.NewId(), "Claire Martin", "claire@acme.example");
        _agents[DefaultAgent.Id] = DefaultAgent;
        _agents[HumanAgent.Id] = HumanAgent;
    }

    /// <summary>Root of the loopback server, e.g. <c>http://127.0.0.1:41234</c> (no trailing slash).</summary>
    public string BaseUrl { get; private set; } = "";

    /// <summary>Value for the service's BREVO_API_URL: <see cref="BaseUrl"/> + <c>/v3</c>.</summary>
    public string ApiBaseUrl => BaseUrl + "/v3";

    /// <summary>The only key the API accepts in the <c>api-key</c> header.</summary>
    public string ApiKey { get; set; } = DefaultApiKey;

    /// <summary>The service's webhook URL including its secret, e.g. <c>http://127.0.0.1:5000/webhooks/brevo/s3cr3t</c>.</summary>
    public string? WebhookUrl { get; set; }

    /// <summary>The bot's agent (use its Id as BREVO_AGENT_ID).</summary>
    public FakeBrevoAgent DefaultAgent { get; }

    /// <summary>A human operator in Brevo's inbox, used by <see cref="BuildHumanAgentFragment"/>.</summary>
    public FakeBrevoAgent HumanAgent { get; }

    public string AgentId => DefaultAgent.Id;

    /// <summary>Clock for <c>createdAt</c> and the rate window; swap in a fake TimeProvider if needed.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Unknown <c>agentId</c> → 400 invalid_parameter (Brevo's exact answer is [UNVERIFIED]).</summary>
    public bool RejectUnknownAgents { get; set; } = true;

    /// <summary>
    /// Unknown <c>visitorId</c> → 400 invalid_parameter. Off by default because Brevo lets integrators bind
    /// their own visitor ids; on, only visitors created with <see cref="CreateVisitor"/> are accepted.
    /// </summary>
    public bool RejectUnknownVisitors { get; set; }

    /// <summary>Answer every authenticated call with the "unrecognised IP address" 401 (Authorised IPs setting).</summary>
    public bool SimulateUnrecognisedIp { get; set; }

    /// <summary>Requests allowed per <see cref="RateWindow"/>; null (default) = not rate limited, no headers.</summary>
    public int? RateLimitPerWindow { get; set; }

    /// <summary>Fixed window length; Brevo's "all other endpoints" bucket is per hour.</summary>
    public TimeSpan RateWindow { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How many 429s the rate limiter has answered (injected 429s not counted).</summary>
    public int TooManyRequestsCount => Volatile.Read(ref _tooManyRequests);

    /// <summary>Echo every accepted send back to <see cref="WebhookUrl"/> as a conversationFragment (Brevo does).</summary>
    public bool EchoEnabled { get; set; } = true;

    public TimeSpan EchoDelay { get; set; } = TimeSpan.FromMilliseconds(50);

    public TimeSpan WebhookTimeout
    {
        get => _webhookClient.Timeout;
        set => _webhookClient.Timeout = value;
    }

    /// <summary>Brevo's retry policy is undocumented: by default each webhook is posted once.</summary>
    public bool RedeliverOnFailure { get; set; }

    public int MaxRedeliveries { get; set; } = 3;

    public TimeSpan RedeliveryDelay { get; set; } = TimeSpan.FromMilliseconds(100);

    public int FileDownloadCount => Volatile.Read(ref _fileDownloads);

    public IReadOnlyList<SentMessage> SentMessages
    {
        get { lock (_gate) { return [.. _sent]; } }
    }

    public IReadOnlyList<RecordedRequest> Requests
    {
        get { lock (_gate) { return [.. _requests]; } }
    }

    public IReadOnlyList<WebhookDelivery> WebhookDeliveries
    {
        get { lock (_gate) { return [.. _deliveries]; } }
    }

    /// <summary>Messages accepted for one visitor, in arrival order.</summary>
    public IReadOnlyList<SentMessage> SentTo(string visitorId)
    {
        lock (_gate)
        {
            return [.. _sent.Where(m => m.VisitorId == visitorId)];
        }
    }

    public static async Task<FakeBrevoServer> StartAsync(CancellationToken cancellationToken = default)
    {
        var server = new FakeBrevoServer();
        try
        {
            await server.StartCoreAsync(cancellationToken);
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    public void AddAgent(FakeBrevoAgent agent)
    {
        lock (_gate)
        {
            _agents[agent.Id] = agent;
        }
    }

    /// <summary>
    /// The next <paramref name="count"/> API calls fail with <paramref name="status"/> before auth or limits are
    /// checked. Bodies: 400 bad_request, 401 unauthorized, 402 not_enough_credits, 403 permission_denied,
    /// 404 document_not_found, 429 too_many_requests, 500 JSON [UNVERIFIED], 502/503 an HTML gateway page.
    /// </summary>
    public void FailNext(int status, int count = 1, string? message = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(status, 400);
        lock (_gate)
        {
            for (var i = 0; i < count; i++)
            {
                _failures.Enqueue(new InjectedFailure(status, message));
            }
        }
    }

    /// <summary>
    /// The next <paramref name="count"/> successful API calls do their work (a message is stored and echoed) and
    /// then break off their 2xx answer halfway, so the client cannot read it.
    /// </summary>
    public void GarbleNextSuccess(int count = 1) => Interlocked.Add(ref _garbleNext, count);

    private int _garbleNext;

    private bool TakeGarbled()
    {
        while (true)
        {
            var left = Volatile.Read(ref _garbleNext);
            if (left <= 0) return false;
            if (Interlocked.CompareExchange(ref _garbleNext, left - 1, left) == left) return true;
        }
    }

    /// <summary>Forget recorded traffic and pending failures; agents, visitors and files stay.</summary>
    public void ClearRecorded()
    {
        lock (_gate)
        {
            _sent.Clear();
            _requests.Clear();
            _deliveries.Clear();
            _failures.Clear();
            _windowStart = DateTimeOffset.MinValue;
            _windowCount = 0;
            SignalLocked();
        }
    }

    public Task<IReadOnlyList<SentMessage>> WaitForSentAsync(
        int count, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        WaitForAsync<IReadOnlyList<SentMessage>>(
            () => _sent.Count >= count ? (true, [.. _sent]) : (false, []),
            timeout, $"{count} sent message(s) (have {{0}})", () => _sent.Count, cancellationToken);

    /// <summary>Completes with the first accepted message matching <paramref name="predicate"/>.</summary>
    public Task<SentMessage> WaitForSentAsync(
        Func<SentMessage, bool> predicate, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        WaitForAsync(
            () => _sent.FirstOrDefault(predicate) is { } m ? (true, m) : (false, null!),
            timeout, "a sent message matching the predicate ({0} sent so far)", () => _sent.Count, cancellationToken);

    /// <summary>Waits until <paramref name="count"/> webhook POSTs (manual, echo and redelivery attempts) were made.</summary>
    public Task<IReadOnlyList<WebhookDelivery>> WaitForWebhookDeliveriesAsync(
        int count, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        WaitForAsync<IReadOnlyList<WebhookDelivery>>(
            () => _deliveries.Count >= count ? (true, [.. _deliveries]) : (false, []),
            timeout, $"{count} webhook deliveries (have {{0}})", () => _deliveries.Count, cancellationToken);

    public Task<WebhookDelivery> WaitForWebhookDeliveriesAsync(
        Func<WebhookDelivery, bool> predicate, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        WaitForAsync(
            () => _deliveries.FirstOrDefault(predicate) is { } d ? (true, d) : (false, null!),
            timeout, "a webhook delivery matching the predicate ({0} made so far)", () => _deliveries.Count,
            cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        Task[] pending;
        lock (_gate)
        {
            pending = [.. _background];
        }

        try
        {
            await Task.WhenAll(pending).WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (Exception)
        {
            // Echoes cancelled by shutdown are expected.
        }

        if (_app is not null)
        {
            await _app.StopAsync(CancellationToken.None);
            await _app.DisposeAsync();
        }

        _webhookClient.Dispose();
        _stopping.Dispose();
    }

    private async Task StartCoreAsync(CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ApplicationName = typeof(FakeBrevoServer).Assembly.GetName().Name,
        });
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));

        var app = builder.Build();
        app.Map("/v3/{**rest}", HandleApiAsync);
        app.MapGet("/files/{fileId}/{fileName}", HandleFileDownload);
        _app = app;

        await app.StartAsync(cancellationToken);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!
            .Addresses.First();
        BaseUrl = address.TrimEnd('/');
    }

    private async Task<T> WaitForAsync<T>(
        Func<(bool Ok, T Value)> probe, TimeSpan? timeout, string what, Func<int> have, CancellationToken ct)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(timeout ?? TimeSpan.FromSeconds(10));
        while (true)
        {
            Task signal;
            lock (_gate)
            {
                var (ok, value) = probe();
                if (ok)
                {
                    return value;
                }

                signal = _changed.Task;
            }

            try
            {
                await signal.WaitAsync(cts.Token);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                int count;
                lock (_gate)
                {
                    count = have();
                }

                throw new TimeoutException("FakeBrevoServer: timed out waiting for " + string.Format(
                    System.Globalization.CultureInfo.InvariantCulture, what, count));
            }
        }
    }

    private void SignalLocked()
    {
        var previous = _changed;
        _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        previous.TrySetResult();
    }

    private async Task HandleFileDownload(HttpContext context, string fileId, string fileName)
    {
        StoredFile? file;
        lock (_gate)
        {
            _files.TryGetValue(fileId, out file);
        }

        // Brevo's CDN links carry no auth as far as anyone has documented ([UNVERIFIED]); none is required here.
        if (file is null)
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        Interlocked.Increment(ref _fileDownloads);
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = file.MimeType;
        context.Response.ContentLength = file.Bytes.Length;
        await context.Response.Body.WriteAsync(file.Bytes, context.RequestAborted);
    }

    private sealed record InjectedFailure(int Status, string? Message);

    private sealed record StoredFile(string Name, string MimeType, byte[] Bytes);

    private sealed class StoredMessage(JsonObject message, string visitorId)
    {
        public JsonObject Message { get; } = message;

        public string VisitorId { get; } = visitorId;

        public bool IsAgent => (string?)Message["type"] == "agent";

        public long CreatedAt => Message["createdAt"]?.GetValue<long>() ?? 0;
    }
}
