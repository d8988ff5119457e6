using System.Collections.Concurrent;
using System.Globalization;
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

namespace MessengerAutoReply.Fakes.OpenAI;

/// <summary>
/// Loopback fake of the OpenAI HTTP API (Responses, Conversations, audio transcriptions, Chat Completions)
/// for tests that drive the real OpenAI .NET SDK. Point the SDK at <see cref="ApiEndpoint"/> (= BaseUrl + "/v1").
/// </summary>
public sealed partial class FakeOpenAIServer : IAsyncDisposable
{
    internal const string RecordKey = "fake-openai-record";
    private const string JsonBodyKey = "fake-openai-json";

    private static readonly string[] DefaultModels =
    [
        "gpt-5.1", "gpt-5", "gpt-5-mini", "gpt-5-nano", "gpt-4.1", "gpt-4.1-mini", "gpt-4o", "gpt-4o-mini", "gpt-test",
        "whisper-1", "gpt-4o-transcribe", "gpt-4o-mini-transcribe", "gpt-transcribe",
    ];

    private readonly WebApplication _app;
    private readonly CancellationTokenSource _shutdown = new();
    private readonly object _gate = new();
    private readonly List<FakeRecordedRequest> _requests = [];
    private readonly List<FakeRunRecord> _runs = [];
    private readonly List<FakeImageInput> _images = [];
    private readonly List<FakeTranscriptionRequest> _transcriptions = [];
    private readonly List<FailureRule> _failures = [];
    private readonly Queue<ScriptedOutcome> _scripted = new();
    private readonly ConcurrentDictionary<string, byte> _apiKeys = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte> _models = new(StringComparer.Ordinal);
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _sequence;
    private int _conversationLockedCount;
    private int _cancelledRunsCount;
    private int _maxConcurrentRunsPerConversation;
    private int _activeRuns;
    private int _disposed;

    private FakeOpenAIServer(WebApplication app, string apiKey)
    {
        _app = app;
        _apiKeys[apiKey] = 0;
        foreach (var m in DefaultModels)
        {
            _models[m] = 0;
        }
    }

    /// <summary>Starts the fake on 127.0.0.1 with a free port. <paramref name="apiKey"/> is the one valid key.</summary>
    public static async Task<FakeOpenAIServer> StartAsync(string apiKey = "sk-fake-test", CancellationToken cancellationToken = default)
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(o =>
        {
            o.Listen(IPAddress.Loopback, 0);
            // Audio uploads go up to 25 MiB plus multipart overhead; the fake enforces its own limit.
            o.Limits.MaxRequestBodySize = 64L * 1024 * 1024;
        });
        builder.Logging.AddConsole().SetMinimumLevel(LogLevel.Warning);

        var app = builder.Build();
        var server = new FakeOpenAIServer(app, apiKey);
        app.Run(server.HandleAsync);
        await app.StartAsync(cancellationToken);

        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server.BaseUrl = address.TrimEnd('/');
        return server;
    }

    // ---------------------------------------------------------------- addresses and configuration

    /// <summary>e.g. <c>http://127.0.0.1:54321</c> (no trailing slash).</summary>
    public string BaseUrl { get; private set; } = "";

    /// <summary>What to put in <c>OpenAIClientOptions.Endpoint</c>: <c>BaseUrl + "/v1"</c>.</summary>
    public Uri ApiEndpoint => new(BaseUrl + "/v1");

    /// <summary>Keys accepted in <c>Authorization: Bearer</c>; anything else gets 401 invalid_api_key.</summary>
    public IReadOnlyCollection<string> ApiKeys => [.. _apiKeys.Keys];
    public void AddApiKey(string key) => _apiKeys[key] = 0;
    public void RemoveApiKey(string key) => _apiKeys.TryRemove(key, out _);

    /// <summary>Models that exist; others get 404 model_not_found. Defaults cover current chat and transcription models.</summary>
    public IReadOnlyCollection<string> KnownModels => [.. _models.Keys];
    public void AddKnownModel(string model) => _models[model] = 0;
    public void RemoveKnownModel(string model) => _models.TryRemove(model, out _);
    /// <summary>When true every model name is accepted.</summary>
    public bool AcceptAnyModel { get; set; }

    public TimeSpan ResponseLatency { get; set; }
    public TimeSpan ConversationLatency { get; set; }
    public TimeSpan TranscriptionLatency { get; set; }
    public TimeSpan ChatCompletionLatency { get; set; }

    /// <summary>Emulate <c>conversation_locked</c> for overlapping responses in one conversation (default true).</summary>
    public bool EmulateConversationLock { get; set; } = true;

    /// <summary>
    /// Produces the assistant text for a run. Default: <c>"Reply to: " + UserTexts joined with " | "</c>.
    /// An exception thrown here becomes a 500 server_error.
    /// </summary>
    public Func<FakeRunRequest, string> AnswerFactory { get; set; } = DefaultAnswer;

    public static string DefaultAnswer(FakeRunRequest request) => "Reply to: " + string.Join(" | ", request.UserTexts);

    /// <summary>Produces the transcript text. Default: <c>"transcript of voice.ogg (1234 bytes)"</c>.</summary>
    public Func<FakeTranscriptionRequest, string> TranscriptFactory { get; set; } = DefaultTranscript;

    public static string DefaultTranscript(FakeTranscriptionRequest request) =>
        $"transcript of {request.FileName} ({request.ByteCount.ToString(CultureInfo.InvariantCulture)} bytes)";

    /// <summary>Upload limit for transcriptions (25 MiB, as documented); larger files get 413.</summary>
    public long MaxAudioBytes { get; set; } = 25L * 1024 * 1024;

    /// <summary>When a request has a <c>file_search</c> tool, put a <c>file_search_call</c> item before the message.</summary>
    public bool EmitFileSearchCall { get; set; } = true;

    // ---------------------------------------------------------------- scripted outcomes

    /// <summary>The next run (Responses or Chat) answers exactly this text instead of calling <see cref="AnswerFactory"/>.</summary>
    public void EnqueueAnswer(string text) => Enqueue(new ScriptedOutcome("completed", text, null, null));

    /// <summary>The next Responses run returns HTTP 200 with <c>status:"incomplete"</c> and the given reason.</summary>
    public void EnqueueIncompleteResponse(string partialText = "", string reason = "max_output_tokens") =>
        Enqueue(new ScriptedOutcome("incomplete", partialText, reason, null));

    /// <summary>The next Responses run returns HTTP 200 with <c>status:"failed"</c> and <c>error:{code,message}</c>.</summary>
    public void EnqueueFailedResponse(string code = "server_error", string message = "The model failed to generate a response.") =>
        Enqueue(new ScriptedOutcome("failed", null, code, message));

    private void Enqueue(ScriptedOutcome outcome)
    {
        lock (_gate)
        {
            _scripted.Enqueue(outcome);
        }
    }

    private ScriptedOutcome? DequeueScripted()
    {
        lock (_gate)
        {
            return _scripted.TryDequeue(out var o) ? o : null;
        }
    }

    // ---------------------------------------------------------------- failure injection

    /// <summary>
    /// The next <paramref name="count"/> requests to <paramref name="endpoint"/> fail with <paramref name="status"/>
    /// (after authentication). 429 carries <c>x-ratelimit-*</c> headers and, when given, <c>retry-after</c>.
    /// <paramref name="errorType"/> picks the 429 flavour: <c>requests</c> (default), <c>tokens</c>, <c>insufficient_quota</c>.
    /// </summary>
    public void FailNext(FakeOpenAIEndpoint endpoint, int status, int count = 1, TimeSpan? retryAfter = null, string? errorType = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        lock (_gate)
        {
            _failures.Add(new FailureRule(endpoint, status, count, retryAfter, errorType));
        }
    }

    /// <summary>Every request to <paramref name="endpoint"/> fails until <see cref="ClearFailures"/>.</summary>
    public void FailAlways(FakeOpenAIEndpoint endpoint, int status, TimeSpan? retryAfter = null, string? errorType = null)
    {
        lock (_gate)
        {
            _failures.Add(new FailureRule(endpoint, status, -1, retryAfter, errorType));
        }
    }

    public void ClearFailures(FakeOpenAIEndpoint? endpoint = null)
    {
        lock (_gate)
        {
            _failures.RemoveAll(f => endpoint is null || f.Endpoint == endpoint);
        }
    }

    private FailureRule? TakeFailure(FakeOpenAIEndpoint endpoint)
    {
        lock (_gate)
        {
            for (var i = 0; i < _failures.Count; i++)
            {
                var f = _failures[i];
                if (f.Endpoint != endpoint)
                {
                    continue;
                }
                if (f.Remaining > 0)
                {
                    f.Remaining--;
                    if (f.Remaining == 0)
                    {
                        _failures.RemoveAt(i);
                    }
                }
                return f;
            }
            return null;
        }
    }

    // ---------------------------------------------------------------- inspection

    public IReadOnlyList<FakeRecordedRequest> RecordedRequests { get { lock (_gate) { return [.. _requests]; } } }
    public int RequestCount { get { lock (_gate) { return _requests.Count; } } }
    public int CountRequests(FakeOpenAIEndpoint endpoint) { lock (_gate) { return _requests.Count(r => r.Endpoint == endpoint); } }

    /// <summary>Runs that returned HTTP 200 (Responses and Chat Completions), in completion order.</summary>
    public IReadOnlyList<FakeRunRecord> Runs { get { lock (_gate) { return [.. _runs]; } } }
    public int ResponsesCount { get { lock (_gate) { return _runs.Count(r => r.Request.Endpoint == FakeOpenAIEndpoint.Responses); } } }
    public int ChatCompletionsCount { get { lock (_gate) { return _runs.Count(r => r.Request.Endpoint == FakeOpenAIEndpoint.ChatCompletions); } } }

    /// <summary>Every image part seen in an accepted Responses or Chat request.</summary>
    public IReadOnlyList<FakeImageInput> ImageInputs { get { lock (_gate) { return [.. _images]; } } }
    public int ImageInputsCount { get { lock (_gate) { return _images.Count; } } }

    public IReadOnlyList<FakeTranscriptionRequest> Transcriptions { get { lock (_gate) { return [.. _transcriptions]; } } }
    public int TranscriptionsCount { get { lock (_gate) { return _transcriptions.Count; } } }

    /// <summary>Responses rejected with 400 conversation_locked.</summary>
    public int ConversationLockedCount => Volatile.Read(ref _conversationLockedCount);

    /// <summary>Runs whose client went away during the latency (no reply, nothing appended).</summary>
    public int CancelledRunsCount => Volatile.Read(ref _cancelledRunsCount);

    /// <summary>
    /// Highest number of <c>POST /v1/responses</c> for the same conversation that overlapped in time,
    /// counting the ones rejected as locked. A service that serialises turns keeps this at 1.
    /// </summary>
    public int MaxConcurrentRunsPerConversation => Volatile.Read(ref _maxConcurrentRunsPerConversation);

    /// <summary>Responses / chat runs currently inside their latency.</summary>
    public int ActiveRuns => Volatile.Read(ref _activeRuns);

    /// <summary>Accepted (not locked) responses per conversation id, including ones still running.</summary>
    public IReadOnlyDictionary<string, int> RunCountsByConversation =>
        _conversations.ToDictionary(kv => kv.Key, kv => kv.Value.RunCount, StringComparer.Ordinal);

    public int GetRunCount(string conversationId) =>
        _conversations.TryGetValue(conversationId, out var c) ? c.RunCount : 0;

    public void ClearRecordedRequests()
    {
        lock (_gate)
        {
            _requests.Clear();
        }
    }

    /// <summary>
    /// Completes as soon as <paramref name="predicate"/> holds (re-checked after every request event);
    /// throws <see cref="TimeoutException"/> after <paramref name="timeout"/> (default 10 s).
    /// </summary>
    public async Task WaitForAsync(Func<FakeOpenAIServer, bool> predicate, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        var limit = timeout ?? TimeSpan.FromSeconds(10);
        using var timeoutCts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeoutCts.CancelAfter(limit);
        while (true)
        {
            var changed = Volatile.Read(ref _changed).Task;
            if (predicate(this))
            {
                return;
            }
            try
            {
                await changed.WaitAsync(timeoutCts.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                if (predicate(this))
                {
                    return;
                }
                throw new TimeoutException($"FakeOpenAIServer: condition not met within {limit}. Requests: {string.Join(", ", RecordedRequests)}");
            }
        }
    }

    /// <summary>Waits for a recorded request (complete or not) that matches.</summary>
    public async Task<FakeRecordedRequest> WaitForRequestAsync(Func<FakeRecordedRequest, bool> predicate, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        FakeRecordedRequest? found = null;
        await WaitForAsync(s => (found = s.RecordedRequests.FirstOrDefault(predicate)) is not null, timeout, cancellationToken);
        return found!;
    }

    private void NotifyChanged() =>
        Interlocked.Exchange(ref _changed, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        await _shutdown.CancelAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            await _app.StopAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            // Long latencies still running: abandon them.
        }
        await _app.DisposeAsync();
        _shutdown.Dispose();
    }

    // ---------------------------------------------------------------- pipeline

    private async Task HandleAsync(HttpContext ctx)
    {
        var req = ctx.Request;
        var path = req.Path.Value ?? "/";
        var segments = path.Trim('/').Split('/', StringSplitOptions.RemoveEmptyEntries);
        var endpoint = Classify(segments);

        string? rawBody = null;
        JsonNode? json = null;
        var isMultipart = req.ContentType?.StartsWith("multipart/", StringComparison.OrdinalIgnoreCase) == true;
        if (!isMultipart && (req.ContentLength > 0 || req.Headers.TransferEncoding.Count > 0))
        {
            using var reader = new StreamReader(req.Body, Encoding.UTF8);
            rawBody = await reader.ReadToEndAsync(ctx.RequestAborted);
            try
            {
                json = JsonNode.Parse(rawBody);
            }
            catch (JsonException)
            {
                json = null;
            }
        }

        var apiKey = ParseBearer(req.Headers.Authorization.ToString());
        var headers = req.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
        FakeRecordedRequest record;
        lock (_gate)
        {
            record = new FakeRecordedRequest(++_sequence, req.Method, path, req.QueryString.Value ?? "", endpoint, apiKey, headers, rawBody, json?.DeepClone());
            _requests.Add(record);
        }
        ctx.Items[RecordKey] = record;
        ctx.Items[JsonBodyKey] = json;
        NotifyChanged();

        AddStandardHeaders(ctx);
        try
        {
            await DispatchAsync(ctx, endpoint, segments, json, rawBody, apiKey);
        }
        catch (OperationCanceledException) when (ctx.RequestAborted.IsCancellationRequested)
        {
            // Client gave up; nothing to answer.
            record.StatusCode = 499;
            NotifyChanged();
            return;
        }
        catch (Exception ex) when (!ctx.Response.HasStarted)
        {
            await OpenAIWire.WriteErrorAsync(ctx, 500,
                "The server had an error while processing your request. Sorry about that! (fake: " + ex.GetType().Name + ": " + ex.Message + ")",
                "server_error", null, null);
        }
        record.StatusCode = ctx.Response.StatusCode;
        NotifyChanged();
    }

    private async Task DispatchAsync(HttpContext ctx, FakeOpenAIEndpoint endpoint, string[] segments, JsonNode? json, string? rawBody, string? apiKey)
    {
        // Authentication comes first, as on the real API.
        if (apiKey is null)
        {
            await OpenAIWire.WriteErrorAsync(ctx, 401,
                "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password field (with blank username) if you're accessing the API from your browser and are prompted for a username and password. You can obtain an API key from https://platform.openai.com/account/api-keys.",
                OpenAIWire.InvalidRequest, null, null);
            return;
        }
        if (!_apiKeys.ContainsKey(apiKey))
        {
            await OpenAIWire.WriteErrorAsync(ctx, 401,
                $"Incorrect API key provided: {MaskKey(apiKey)}. You can find your API key at https://platform.openai.com/account/api-keys.",
                OpenAIWire.InvalidRequest, null, "invalid_api_key");
            return;
        }

        if (TakeFailure(endpoint) is { } failure)
        {
            await WriteInjectedFailureAsync(ctx, failure, OpenAIWire.GetString(json?["model"]) ?? "gpt-4o-mini");
            return;
        }

        var method = ctx.Request.Method;
        if (rawBody is not null && json is null && method != HttpMethods.Get)
        {
            await OpenAIWire.WriteErrorAsync(ctx, 400,
                "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON. If you have trouble figuring out how to fix this, please contact us through our help center at help.openai.com.)",
                OpenAIWire.InvalidRequest, null, null);
            return;
        }

        var s = segments;
        switch (endpoint)
        {
            case FakeOpenAIEndpoint.Responses when s.Length == 2 && method == HttpMethods.Post:
                await CreateResponseAsync(ctx, json as JsonObject ?? []);
                return;
            case FakeOpenAIEndpoint.Responses when s.Length == 3 && method == HttpMethods.Get:
                await GetResponseAsync(ctx, s[2]);
                return;
            case FakeOpenAIEndpoint.Conversations when s.Length == 2 && method == HttpMethods.Post:
                await CreateConversationAsync(ctx, json as JsonObject ?? []);
                return;
            case FakeOpenAIEndpoint.Conversations when s.Length == 3 && method == HttpMethods.Get:
                await GetConversationAsync(ctx, s[2]);
                return;
            case FakeOpenAIEndpoint.Conversations when s.Length == 3 && method == HttpMethods.Post:
                await UpdateConversationAsync(ctx, s[2], json as JsonObject ?? []);
                return;
            case FakeOpenAIEndpoint.Conversations when s.Length == 3 && method == HttpMethods.Delete:
                await DeleteConversationAsync(ctx, s[2]);
                return;
            case FakeOpenAIEndpoint.ConversationItems when s.Length == 4 && method == HttpMethods.Get:
                await ListConversationItemsAsync(ctx, s[2]);
                return;
            case FakeOpenAIEndpoint.ConversationItems when s.Length == 4 && method == HttpMethods.Post:
                await AddConversationItemsAsync(ctx, s[2], json as JsonObject ?? []);
                return;
            case FakeOpenAIEndpoint.ConversationItems when s.Length == 5 && method == HttpMethods.Get:
                await GetConversationItemAsync(ctx, s[2], s[4]);
                return;
            case FakeOpenAIEndpoint.Transcriptions when method == HttpMethods.Post:
                await TranscribeAsync(ctx);
                return;
            case FakeOpenAIEndpoint.ChatCompletions when method == HttpMethods.Post:
                await ChatCompletionAsync(ctx, json as JsonObject ?? []);
                return;
            case FakeOpenAIEndpoint.Models when method == HttpMethods.Get:
                await ListModelsAsync(ctx);
                return;
            default:
                await OpenAIWire.WriteErrorAsync(ctx, 404, $"Invalid URL ({method} {ctx.Request.Path})", OpenAIWire.InvalidRequest, null, null);
                return;
        }
    }

    private static FakeOpenAIEndpoint Classify(string[] s)
    {
        if (s.Length < 2 || s[0] != "v1")
        {
            return FakeOpenAIEndpoint.Other;
        }
        return s[1] switch
        {
            "responses" when s.Length <= 3 => FakeOpenAIEndpoint.Responses,
            "conversations" when s.Length <= 3 => FakeOpenAIEndpoint.Conversations,
            "conversations" when s.Length <= 5 && s[3] == "items" => FakeOpenAIEndpoint.ConversationItems,
            "audio" when s.Length == 3 && s[2] == "transcriptions" => FakeOpenAIEndpoint.Transcriptions,
            "chat" when s.Length == 3 && s[2] == "completions" => FakeOpenAIEndpoint.ChatCompletions,
            "models" when s.Length == 2 => FakeOpenAIEndpoint.Models,
            _ => FakeOpenAIEndpoint.Other,
        };
    }

    private static string? ParseBearer(string header)
    {
        const string prefix = "Bearer ";
        if (header.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
        {
            var key = header[prefix.Length..].Trim();
            return key.Length == 0 ? null : key;
        }
        return null;
    }

    // OpenAI echoes a masked key ("sk-wr***************1234") in the 401 message.
    private static string MaskKey(string key) =>
        key.Length <= 8 ? new string('*', key.Length) : key[..3] + new string('*', key.Length - 7) + key[^4..];

    private static void AddStandardHeaders(HttpContext ctx)
    {
        var h = ctx.Response.Headers;
        h["x-request-id"] = OpenAIWire.NewId("req_", 32);
        h["openai-version"] = "2020-10-01";
        h["openai-organization"] = "org-fake";
        h["openai-processing-ms"] = "1";
        h["x-ratelimit-limit-requests"] = "500";
        h["x-ratelimit-limit-tokens"] = "200000";
        h["x-ratelimit-remaining-requests"] = "499";
        h["x-ratelimit-remaining-tokens"] = "199000";
        h["x-ratelimit-reset-requests"] = "120ms";
        h["x-ratelimit-reset-tokens"] = "300ms";
    }

    private static async Task WriteInjectedFailureAsync(HttpContext ctx, FailureRule f, string model)
    {
        switch (f.Status)
        {
            case 429:
            {
                var wait = f.RetryAfter ?? TimeSpan.FromMilliseconds(120);
                var h = ctx.Response.Headers;
                if (f.RetryAfter is { } ra)
                {
                    h["retry-after"] = Math.Max(0, (int)Math.Ceiling(ra.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
                    h["retry-after-ms"] = ((long)ra.TotalMilliseconds).ToString(CultureInfo.InvariantCulture);
                }
                var (type, code, message) = (f.ErrorType ?? "requests") switch
                {
                    "tokens" => ("tokens", "rate_limit_exceeded",
                        $"Rate limit reached for {model} in organization org-fake on tokens per min (TPM): Limit 200000, Used 199500, Requested 1200. Please try again in {OpenAIWire.GoDuration(wait)}. Visit https://platform.openai.com/account/rate-limits to learn more."),
                    "insufficient_quota" => ("insufficient_quota", "insufficient_quota",
                        "You exceeded your current quota, please check your plan and billing details. For more information on this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors."),
                    _ => ("requests", "rate_limit_exceeded",
                        $"Rate limit reached for {model} in organization org-fake on requests per min (RPM): Limit 500, Used 500, Requested 1. Please try again in {OpenAIWire.GoDuration(wait)}. Visit https://platform.openai.com/account/rate-limits to learn more."),
                };
                if (type != "insufficient_quota")
                {
                    if (type == "tokens")
                    {
                        h["x-ratelimit-remaining-tokens"] = "0";
                        h["x-ratelimit-reset-tokens"] = OpenAIWire.GoDuration(wait);
                    }
                    else
                    {
                        h["x-ratelimit-remaining-requests"] = "0";
                        h["x-ratelimit-reset-requests"] = OpenAIWire.GoDuration(wait);
                    }
                }
                await OpenAIWire.WriteErrorAsync(ctx, 429, message, type, null, code);
                return;
            }
            case 500:
                await OpenAIWire.WriteErrorAsync(ctx, 500,
                    "The server had an error while processing your request. Sorry about that!", "server_error", null, null);
                return;
            case 502:
                await OpenAIWire.WriteErrorAsync(ctx, 502, "Bad gateway.", "server_error", null, null);
                return;
            case 503:
                if (f.RetryAfter is { } r503)
                {
                    ctx.Response.Headers["retry-after"] = Math.Max(0, (int)Math.Ceiling(r503.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
                }
                if (f.ErrorType == "slow_down")
                {
                    await OpenAIWire.WriteErrorAsync(ctx, 503,
                        "Slow Down: please reduce your request rate and ramp up gradually.", "server_error", null, "slow_down");
                }
                else
                {
                    await OpenAIWire.WriteErrorAsync(ctx, 503,
                        "The engine is currently overloaded, please try again later.", "server_error", null, "server_is_overloaded");
                }
                return;
            default:
                await OpenAIWire.WriteErrorAsync(ctx, f.Status,
                    $"Injected failure ({f.Status.ToString(CultureInfo.InvariantCulture)}).",
                    f.Status >= 500 ? "server_error" : (f.ErrorType ?? OpenAIWire.InvalidRequest), null, null);
                return;
        }
    }

    private bool IsKnownModel(string model) => AcceptAnyModel || _models.ContainsKey(model);

    private static Task WriteModelNotFoundAsync(HttpContext ctx, string model) =>
        OpenAIWire.WriteErrorAsync(ctx, 404,
            $"The model `{model}` does not exist or you do not have access to it.", OpenAIWire.InvalidRequest, null, "model_not_found");

    private static Task WriteMissingParameterAsync(HttpContext ctx, string name) =>
        OpenAIWire.WriteErrorAsync(ctx, 400, $"Missing required parameter: '{name}'.", OpenAIWire.InvalidRequest, name, "missing_required_parameter");

    private Task ListModelsAsync(HttpContext ctx)
    {
        var data = new JsonArray();
        foreach (var m in _models.Keys.Order(StringComparer.Ordinal))
        {
            data.Add(new JsonObject { ["id"] = m, ["object"] = "model", ["created"] = 1_700_000_000, ["owned_by"] = "system" });
        }
        return OpenAIWire.WriteJsonAsync(ctx, 200, new JsonObject { ["object"] = "list", ["data"] = data });
    }

    /// <summary>Latency with the client's abort token: a cancelled client frees the run at once.</summary>
    /// <remarks>Disposal also cuts it short, so a test that leaves a slow request behind does not stall shutdown.</remarks>
    private async Task DelayAsync(TimeSpan latency, HttpContext ctx)
    {
        if (latency <= TimeSpan.Zero)
        {
            return;
        }
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ctx.RequestAborted, _shutdown.Token);
        await Task.Delay(latency, linked.Token);
    }

    private void RecordRun(FakeRunRecord run, IEnumerable<FakeImageInput> images)
    {
        lock (_gate)
        {
            _runs.Add(run);
            _images.AddRange(images);
        }
    }

    private sealed class FailureRule(FakeOpenAIEndpoint endpoint, int status, int remaining, TimeSpan? retryAfter, string? errorType)
    {
        public FakeOpenAIEndpoint Endpoint { get; } = endpoint;
        public int Status { get; } = status;
        public int Remaining { get; set; } = remaining;
        public TimeSpan? RetryAfter { get; } = retryAfter;
        public string? ErrorType { get; } = errorType;
    }

    private sealed record ScriptedOutcome(string Status, string? Text, string? ReasonOrCode, string? Message);
}
