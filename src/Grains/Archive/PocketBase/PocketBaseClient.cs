using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Logging;

namespace MessengerAutoReply.Archive.PocketBase;

/// <summary>
/// PocketBase 0.22's REST API with an admin token. The token is tracked by its <c>exp</c> and renewed before
/// it runs out, because on record routes 0.22 does not say 401 for an expired token: it answers as if to a
/// guest (empty lists, 404s, a 400 "Failed to create record." with no details).
/// </summary>
public sealed partial class PocketBaseClient(
    IHttpClientFactory httpClients,
    PocketBaseOptions options,
    TimeProvider time,
    ILogger<PocketBaseClient> logger) : IDisposable
{
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    private readonly SemaphoreSlim _loginLock = new(1, 1);

    public void Dispose() => _loginLock.Dispose();
    private volatile Session? _session;
    private (DateTimeOffset At, Exception Error)? _lastLoginFailure;

    internal TimeSpan FailFastWindow => options.BootstrapRetry < TimeSpan.FromSeconds(1) ? options.BootstrapRetry : TimeSpan.FromSeconds(1);

    public Uri BaseUrl => options.BaseUrl;

    public HttpClient Http => httpClients.CreateClient(PocketBaseOptions.HttpClientName);

    /// <summary>Forget the token: the next request logs in first. Called whenever an answer might mean "not authorised".</summary>
    public void InvalidateToken() => _session = null;

    /// <summary>Sends with the admin token; on 401 logs in again and sends once more.</summary>
    public async Task<HttpResponseMessage> SendAsync(Func<HttpRequestMessage> request, CancellationToken cancellationToken,
        HttpCompletionOption completion = HttpCompletionOption.ResponseContentRead)
    {
        for (var attempt = 0; ; attempt++)
        {
            var token = await TokenAsync(cancellationToken);
            using var message = request();
            message.Headers.TryAddWithoutValidation("Authorization", token);
            var response = await Http.SendAsync(message, completion, cancellationToken);
            if (response.StatusCode != HttpStatusCode.Unauthorized || attempt > 0)
            {
                return response;
            }
            response.Dispose();
            InvalidateToken();
        }
    }

    public async Task<T> SendJsonAsync<T>(HttpMethod method, string path, object? body, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(() => new HttpRequestMessage(method, path)
        {
            Content = body is null ? null : JsonContent.Create(body, body.GetType(), options: Json),
        }, cancellationToken);
        await EnsureSuccessAsync(response, cancellationToken);
        return (await response.Content.ReadFromJsonAsync<T>(Json, cancellationToken))!;
    }

    /// <summary>Turns a non-2xx answer into a <see cref="PocketBaseException"/> that carries PocketBase's error body.</summary>
    public async Task EnsureSuccessAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (response.IsSuccessStatusCode)
        {
            return;
        }
        PocketBaseError? error = null;
        try
        {
            error = await response.Content.ReadFromJsonAsync<PocketBaseError>(Json, cancellationToken);
        }
        catch (Exception ex) when (ex is JsonException or NotSupportedException)
        {
            // Not PocketBase's JSON (a proxy's page): the status alone says enough.
        }
        var failure = new PocketBaseException(response.StatusCode, response.RequestMessage?.Method.Method ?? "?",
            response.RequestMessage?.RequestUri?.AbsolutePath ?? "?", error);
        if (failure.MayBeUnauthorised)
        {
            InvalidateToken();
        }
        throw failure;
    }

    /// <summary>
    /// Logs in once to learn what answers: 0.22 (admins), 0.23+ (superusers, refused) or nothing usable.
    /// Throws <see cref="PocketBaseUnsupportedException"/> for answers no retry can fix.
    /// </summary>
    public async Task<string> TokenAsync(CancellationToken cancellationToken)
    {
        var session = _session;
        if (session is not null && time.GetUtcNow() < session.RenewAt)
        {
            return session.Token;
        }
        await _loginLock.WaitAsync(cancellationToken);
        try
        {
            session = _session;
            if (session is not null && time.GetUtcNow() < session.RenewAt)
            {
                return session.Token;
            }
            // Callers queued behind a login that just failed get its error at once instead of each waiting
            // out its own retries: while PocketBase is down, reads answer 503 quickly and writes go back to
            // their outbox.
            if (_lastLoginFailure is { } failed && time.GetUtcNow() - failed.At < FailFastWindow)
            {
                throw new HttpRequestException($"PocketBase login failed {(time.GetUtcNow() - failed.At).TotalMilliseconds:0} ms ago: {failed.Error.Message}", failed.Error);
            }
            try
            {
                session = await LoginAsync(cancellationToken);
            }
            catch (Exception ex) when (ex is HttpRequestException or PocketBaseException or Polly.Timeout.TimeoutRejectedException)
            {
                _lastLoginFailure = (time.GetUtcNow(), ex);
                throw;
            }
            _lastLoginFailure = null;
            _session = session;
            return session.Token;
        }
        finally
        {
            _loginLock.Release();
        }
    }

    private async Task<Session> LoginAsync(CancellationToken cancellationToken)
    {
        using var response = await Http.PostAsJsonAsync("/api/admins/auth-with-password",
            new { identity = options.Email, password = options.Password }, Json, cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            // 0.23 removed /api/admins; its superusers route answers 400 to a bad login, never 404.
            using var probe = await Http.PostAsJsonAsync("/api/collections/_superusers/auth-with-password",
                new { identity = "", password = "" }, Json, cancellationToken);
            throw new PocketBaseUnsupportedException(probe.StatusCode != HttpStatusCode.NotFound
                ? $"POCKET_BASE_URL: {options.BaseUrl} is PocketBase 0.23 or newer (superusers, 'fields'); this service supports 0.22 only"
                : $"POCKET_BASE_URL: {options.BaseUrl} has no /api/admins login; is it PocketBase 0.22?");
        }
        if (response.StatusCode == HttpStatusCode.BadRequest)
        {
            throw new PocketBaseUnsupportedException(
                $"POCKETBASE_EMAIL/POCKETBASE_PASSWORD: {options.BaseUrl} refused the admin login (no such admin or wrong password)");
        }
        await EnsureSuccessAsync(response, cancellationToken);
        var login = (await response.Content.ReadFromJsonAsync<LoginAnswer>(Json, cancellationToken))!;
        var now = time.GetUtcNow();
        var expires = ReadExpiry(login.Token) ?? now.AddMinutes(10);
        var lifetime = expires - now;
        var margin = TimeSpan.FromTicks(Math.Min(options.TokenRefresh.Ticks, lifetime.Ticks / 2));
        LogLoggedIn(options.BaseUrl, expires);
        return new Session(login.Token, expires - margin);
    }

    /// <summary>The JWT's <c>exp</c> claim; the signature is PocketBase's business, we only need the time.</summary>
    internal static DateTimeOffset? ReadExpiry(string jwt)
    {
        var parts = jwt.Split('.');
        if (parts.Length != 3)
        {
            return null;
        }
        try
        {
            var payload = parts[1].Replace('-', '+').Replace('_', '/');
            payload = payload.PadRight(payload.Length + (4 - payload.Length % 4) % 4, '=');
            using var claims = JsonDocument.Parse(Encoding.UTF8.GetString(Convert.FromBase64String(payload)));
            return claims.RootElement.TryGetProperty("exp", out var exp) && exp.TryGetInt64(out var seconds)
                ? DateTimeOffset.FromUnixTimeSeconds(seconds)
                : null;
        }
        catch (Exception ex) when (ex is FormatException or JsonException)
        {
            return null;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Logged in to PocketBase at {Url} as admin; token valid until {Expires:u}")]
    private partial void LogLoggedIn(Uri url, DateTimeOffset expires);

    private sealed record Session(string Token, DateTimeOffset RenewAt);

    private sealed record LoginAnswer(string Token);
}

/// <summary>PocketBase 0.22's error body: <c>{code, message, data:{field:{code, message}}}</c>.</summary>
public sealed record PocketBaseError(int Code, string? Message, Dictionary<string, JsonElement>? Data);

public sealed class PocketBaseException(HttpStatusCode status, string method, string path, PocketBaseError? error)
    : Exception($"PocketBase {method} {path}: {(int)status} {error?.Message}{Describe(error)}")
{
    public HttpStatusCode Status { get; } = status;

    public PocketBaseError? Error { get; } = error;

    /// <summary>
    /// A 400 with no field details is not a validation error: it is a server-side failure (a locked database)
    /// or a token PocketBase did not accept. Either way: log in again and retry later.
    /// </summary>
    public bool MayBeUnauthorised => Status is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden
        || (Status == HttpStatusCode.BadRequest && (Error?.Data is null || Error.Data.Count == 0));

    /// <summary>True when PocketBase flagged <paramref name="field"/> with the validation <paramref name="code"/>.</summary>
    public bool Has(string field, string code) =>
        Error?.Data is { } data && data.TryGetValue(field, out var detail) && detail.ValueKind == JsonValueKind.Object
        && detail.TryGetProperty("code", out var c) && c.GetString() == code;

    public bool HasCode(string code) =>
        Error?.Data is { } data && data.Values.Any(d => d.ValueKind == JsonValueKind.Object
            && d.TryGetProperty("code", out var c) && c.GetString() == code);

    private static string Describe(PocketBaseError? error) =>
        error?.Data is { Count: > 0 } data ? " " + JsonSerializer.Serialize(data) : "";
}

/// <summary>PocketBase answered, but in a way no retry fixes (0.23+, wrong credentials).</summary>
public sealed class PocketBaseUnsupportedException(string message) : Exception(message);
