using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace MessengerAutoReply.Fakes.Telegram;

/// <summary>
/// Loopback fake of the Telegram Bot API (cloud server semantics, but plain-HTTP loopback webhooks are accepted
/// like a local Bot API server would). Point Telegram.Bot at it with
/// <c>new TelegramBotClientOptions(fake.Token, fake.BaseUrl)</c>.
/// All state lives behind one lock; public members are safe to call from any thread.
/// </summary>
public sealed partial class FakeTelegramServer : IAsyncDisposable
{
    private readonly Lock _gate = new();
    private readonly CancellationTokenSource _disposeCts = new();
    private readonly HttpClient _webhookHttp;
    private WebApplication? _app;
    private TaskCompletionSource _changed = NewSignal();
    private string _token = "7000000001:AAFakeTelegramLoopbackToken_0001";
    private TelegramUser _botUser = new(7000000001, "Shop Helper", Username: "shop_helper_bot", IsBot: true);

    private readonly List<RecordedCall> _calls = [];
    private readonly List<InjectedFailure> _failures = [];
    private readonly Dictionary<string, int> _garbled = [];
    private int _tooManyRequests;

    private FakeTelegramServer()
    {
        _webhookHttp = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, PooledConnectionLifetime = TimeSpan.FromSeconds(30) })
        {
            Timeout = Timeout.InfiniteTimeSpan, // per-attempt timeout is WebhookRequestTimeout
        };
    }

    /// <summary>Base address for <c>TelegramBotClientOptions.BaseUrl</c>, e.g. <c>http://127.0.0.1:40123</c> (no trailing slash).</summary>
    public string BaseUrl { get; private set; } = "";

    /// <summary>The only token the fake accepts; any other token answers 401 "Unauthorized". Changing it mid-test "revokes" the old one.</summary>
    public string Token
    {
        get { lock (_gate) return _token; }
        set { lock (_gate) _token = value; }
    }

    /// <summary>The bot's own User (getMe, and <c>from</c> of every message the bot sends).</summary>
    public TelegramUser BotUser
    {
        get { lock (_gate) return _botUser; }
        set { lock (_gate) _botUser = value with { IsBot = true }; }
    }

    /// <summary>Source of message dates, record timestamps and flood-limit windows.</summary>
    public TimeProvider Clock { get; set; } = TimeProvider.System;

    /// <summary>
    /// Description for an unknown method (HTTP 404). Cloud answers were historically plain "Not Found";
    /// tdlib/telegram-bot-api 10.0 says "Not Found: method not found".
    /// </summary>
    public string UnknownMethodDescription { get; set; } = "Not Found";

    /// <summary>Default timeout of the WaitFor* helpers.</summary>
    public TimeSpan DefaultWaitTimeout { get; set; } = TimeSpan.FromSeconds(10);

    public static async Task<FakeTelegramServer> StartAsync(CancellationToken cancellationToken = default)
    {
        var fake = new FakeTelegramServer();
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.UseKestrel(k =>
        {
            k.Listen(IPAddress.Loopback, 0);
            k.Limits.MaxRequestBodySize = 100L << 20; // uploads up to 50 MB are legal
        });
        var app = builder.Build();
        app.Run(fake.HandleAsync);
        await app.StartAsync(cancellationToken);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        fake.BaseUrl = address.TrimEnd('/');
        fake._app = app;
        return fake;
    }

    public async ValueTask DisposeAsync()
    {
        lock (_gate)
        {
            _webhookCts?.Cancel();
            _activePoll?.Terminated.TrySetResult(null);
        }
        await _disposeCts.CancelAsync();
        if (_app is not null)
        {
            await _app.StopAsync(CancellationToken.None);
            await _app.DisposeAsync();
        }
        if (_webhookLoop is not null)
        {
            try { await _webhookLoop; } catch (OperationCanceledException) { }
        }
        _webhookHttp.Dispose();
        _disposeCts.Dispose();
    }

    // ---------------------------------------------------------------- failure injection & inspection

    /// <summary>
    /// Make the next <paramref name="times"/> calls of <paramref name="method"/> (optionally only those for
    /// <paramref name="chatId"/>) fail with this error. Description defaults to the server's wording for the code
    /// (429: "Too Many Requests: retry after N" with parameters.retry_after and a Retry-After header).
    /// </summary>
    public void FailNext(string method, long? chatId = null, int errorCode = 500, string? description = null, int? retryAfter = null, int times = 1)
    {
        if (errorCode == 429) retryAfter ??= 1;
        description ??= DefaultDescription(errorCode, retryAfter);
        lock (_gate) _failures.Add(new InjectedFailure(method.ToLowerInvariant(), chatId, errorCode, description, retryAfter, times));
    }

    /// <summary>
    /// The next <paramref name="times"/> successful calls of <paramref name="method"/> do what they do (a sendMessage
    /// is sent) and then answer 200 with a body no client can read, as a broken proxy or an emulator might.
    /// </summary>
    public void GarbleNextSuccess(string method, int times = 1)
    {
        lock (_gate) _garbled[method.ToLowerInvariant()] = _garbled.GetValueOrDefault(method.ToLowerInvariant()) + times;
    }

    /// <summary>Every call that reached a method (valid token), in arrival order.</summary>
    public IReadOnlyList<RecordedCall> Calls { get { lock (_gate) return [.. _calls]; } }

    public IReadOnlyList<RecordedCall> CallsTo(string method) { lock (_gate) return [.. _calls.Where(c => c.Method.Equals(method, StringComparison.OrdinalIgnoreCase))]; }

    public int CallCount(string method) => CallsTo(method).Count;

    /// <summary>How many 429 answers were given (injected, flood limits, or setWebhook throttling).</summary>
    public int TooManyRequestsCount { get { lock (_gate) return _tooManyRequests; } }

    /// <summary>Forget recorded calls, sent messages, chat actions, edits, downloads and webhook attempts (state such as queues, files and chats stays).</summary>
    public void ClearRecorded()
    {
        lock (_gate)
        {
            _calls.Clear();
            _sent.Clear();
            _chatActions.Clear();
            _edits.Clear();
            _downloads.Clear();
            _webhookAttempts.Clear();
            Pulse();
        }
    }

    public Task<RecordedCall> WaitForCallAsync(string method, Func<RecordedCall, bool>? predicate = null, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        WaitForValueAsync(() => _calls.FirstOrDefault(c => c.Method.Equals(method, StringComparison.OrdinalIgnoreCase) && (predicate?.Invoke(c) ?? true)),
            timeout, $"a {method} call", cancellationToken);

    /// <summary>Wait until <paramref name="condition"/> holds; it is re-evaluated after every state change.</summary>
    public Task WaitForAsync(Func<FakeTelegramServer, bool> condition, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        WaitForValueAsync(() => condition(this) ? this : null, timeout, "the condition", cancellationToken);

    // ---------------------------------------------------------------- plumbing

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Wake every waiter (long polls, webhook loop, WaitFor*). Call with the lock held.</summary>
    private void Pulse()
    {
        var old = _changed;
        _changed = NewSignal();
        old.TrySetResult();
    }

    private async Task<T> WaitForValueAsync<T>(Func<T?> probe, TimeSpan? timeout, string what, CancellationToken ct) where T : class
    {
        var limit = timeout ?? DefaultWaitTimeout;
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct, _disposeCts.Token);
        cts.CancelAfter(limit);
        while (true)
        {
            Task changed;
            lock (_gate)
            {
                var value = probe();
                if (value is not null) return value;
                changed = _changed.Task;
            }
            try
            {
                await changed.WaitAsync(cts.Token);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                throw new TimeoutException($"FakeTelegramServer: timed out after {limit} waiting for {what}.");
            }
        }
    }

    private static string DefaultDescription(int code, int? retryAfter) => code switch
    {
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        409 => "Conflict",
        429 => $"Too Many Requests: retry after {retryAfter ?? 1}",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(code) is { Length: > 0 } r ? r : "Error",
    };

    private sealed record InjectedFailure(string Method, long? ChatId, int ErrorCode, string Description, int? RetryAfter, int Remaining);

    private sealed record Reply(JsonNode? Result, string? Description = null);

    private async Task HandleAsync(HttpContext ctx)
    {
        var path = ctx.Request.Path.Value ?? "";
        try
        {
            if (path.StartsWith("/file/bot", StringComparison.Ordinal))
            {
                await ServeFileAsync(ctx, path["/file/bot".Length..]);
                return;
            }
            if (!path.StartsWith("/bot", StringComparison.Ordinal))
                throw new BotApiException(404, "Not Found");
            var rest = path[4..];
            var slash = rest.IndexOf('/', StringComparison.Ordinal);
            if (slash < 0)
                throw new BotApiException(404, "Not Found");
            var token = rest[..slash];
            var method = rest[(slash + 1)..];
            if (method.StartsWith("test/", StringComparison.Ordinal)) method = method[5..]; // test-environment path form
            if (!string.Equals(token, Token, StringComparison.Ordinal))
                throw new BotApiException(401, "Unauthorized");
            await HandleMethodAsync(ctx, method.ToLowerInvariant());
        }
        catch (BotApiException e)
        {
            await WriteErrorAsync(ctx, e);
        }
    }

    private async Task HandleMethodAsync(HttpContext ctx, string method)
    {
        RequestParams p;
        try
        {
            p = await RequestParams.ReadAsync(ctx.Request, ctx.RequestAborted);
        }
        catch (BotApiException e)
        {
            Record(method, ctx, new RequestParams(), e.ErrorCode);
            await WriteErrorAsync(ctx, e);
            return;
        }

        try
        {
            TakeInjectedFailure(method, p);
            var reply = method switch
            {
                "getme" => GetMe(),
                "getupdates" => await GetUpdatesAsync(p, ctx.RequestAborted),
                "setwebhook" => SetWebhook(p),
                "deletewebhook" => DeleteWebhook(p),
                "getwebhookinfo" => GetWebhookInfo(),
                "sendmessage" => SendMessage(p),
                "sendphoto" => SendMedia(p, "photo"),
                "senddocument" => SendMedia(p, "document"),
                "sendvoice" => SendMedia(p, "voice"),
                "sendaudio" => SendMedia(p, "audio"),
                "sendvideo" => SendMedia(p, "video"),
                "sendchataction" => SendChatAction(p),
                "editmessagetext" => EditMessageText(p),
                "getfile" => GetFile(p),
                _ => throw new BotApiException(404, UnknownMethodDescription),
            };
            Record(method, ctx, p, 200);
            if (TakeGarbled(method))
            {
                ctx.Response.StatusCode = 200;
                ctx.Response.ContentType = "application/json";
                await ctx.Response.WriteAsync("{\"ok\":true,\"result\":{\"message_id\":", ctx.RequestAborted);
                return;
            }
            var body = new JsonObject { ["ok"] = true, ["result"] = reply.Result };
            if (reply.Description is not null) body["description"] = reply.Description;
            await WriteJsonAsync(ctx, 200, body);
        }
        catch (BotApiException e)
        {
            Record(method, ctx, p, e.ErrorCode);
            await WriteErrorAsync(ctx, e);
        }
    }

    private bool TakeGarbled(string method)
    {
        lock (_gate)
        {
            if (!_garbled.TryGetValue(method, out var left) || left <= 0) return false;
            _garbled[method] = left - 1;
            return true;
        }
    }

    private void TakeInjectedFailure(string method, RequestParams p)
    {
        lock (_gate)
        {
            var chatId = p.GetLong("chat_id");
            for (var i = 0; i < _failures.Count; i++)
            {
                var f = _failures[i];
                if (f.Method != method || (f.ChatId is not null && f.ChatId != chatId)) continue;
                if (f.Remaining <= 1) _failures.RemoveAt(i);
                else _failures[i] = f with { Remaining = f.Remaining - 1 };
                throw new BotApiException(f.ErrorCode, f.Description, f.RetryAfter);
            }
        }
    }

    private void Record(string method, HttpContext ctx, RequestParams p, int status)
    {
        lock (_gate)
        {
            // Record the name the client used; lookups compare case-insensitively.
            var path = ctx.Request.Path.Value ?? "";
            var wireName = path[(path.LastIndexOf('/') + 1)..];
            _calls.Add(new RecordedCall(wireName.Length > 0 ? wireName : method, ctx.Request.Method, p.Snapshot(), p.Files, status, Clock.GetUtcNow()));
            Pulse();
        }
    }

    private async Task WriteErrorAsync(HttpContext ctx, BotApiException e)
    {
        var body = new JsonObject { ["ok"] = false, ["error_code"] = e.ErrorCode, ["description"] = e.Description };
        if (e.RetryAfter is not null || e.MigrateToChatId is not null)
        {
            var parameters = new JsonObject();
            if (e.MigrateToChatId is not null) parameters["migrate_to_chat_id"] = e.MigrateToChatId;
            if (e.RetryAfter is not null) parameters["retry_after"] = e.RetryAfter;
            body["parameters"] = parameters;
        }
        if (e.ErrorCode == 429)
        {
            lock (_gate) _tooManyRequests++;
            if (e.RetryAfter is not null) ctx.Response.Headers.RetryAfter = e.RetryAfter.Value.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        await WriteJsonAsync(ctx, e.ErrorCode, body);
    }

    private static async Task WriteJsonAsync(HttpContext ctx, int status, JsonObject body)
    {
        if (ctx.RequestAborted.IsCancellationRequested) return;
        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = "application/json";
        var bytes = Encoding.UTF8.GetBytes(body.ToJsonString());
        ctx.Response.ContentLength = bytes.Length;
        try { await ctx.Response.Body.WriteAsync(bytes, ctx.RequestAborted); }
        catch (OperationCanceledException) { }
    }

    private Reply GetMe()
    {
        var me = BotUser.ToJson();
        me["can_join_groups"] = true;
        me["can_read_all_group_messages"] = false;
        me["supports_inline_queries"] = false;
        me["can_connect_to_business"] = false;
        me["has_main_web_app"] = false;
        return new Reply(me);
    }
}
