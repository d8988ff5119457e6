using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.WebUtilities;

namespace MessengerAutoReply.Fakes.Telegram;

public sealed partial class FakeTelegramServer
{
    private const string WebhookActiveConflict =
        "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first";
    private const string OtherGetUpdatesConflict =
        "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running";
    private const string SetWebhookConflict = "Conflict: terminated by setWebhook request";

    // allowed_updates = [] (or never set) means every type except these three.
    private static readonly HashSet<string> OptInOnlyUpdateTypes = ["chat_member", "message_reaction", "message_reaction_count"];

    private readonly List<QueuedUpdate> _queue = [];
    private readonly Dictionary<int, JsonObject> _updateHistory = [];
    private int _nextUpdateId = 731500001;
    private HashSet<string>? _allowedUpdates;
    private PollWaiter? _activePoll;
    private DateTimeOffset _lastConflictAt = DateTimeOffset.MinValue;
    private int _droppedByFilter;
    private int _ignoredOffsets;
    private long? _previousPollOffset;
    private DateTimeOffset _previousPollAt = DateTimeOffset.MinValue;

    private WebhookConfig? _webhook;
    private CancellationTokenSource? _webhookCts;
    private Task? _webhookLoop;
    private DateTimeOffset? _lastWebhookSetAt;
    private readonly List<WebhookAttempt> _webhookAttempts = [];
    private int _webhookDelivered;
    private int _webhookDropped;
    private DateTimeOffset? _lastWebhookErrorAt;
    private string? _lastWebhookError;

    /// <summary>Upper bound for getUpdates <c>timeout</c> (the server clamps to 50 s).</summary>
    public int MaxLongPollTimeoutSeconds { get; set; } = 50;

    /// <summary>The server answers repeated getUpdates 409 conflicts at most once per this interval (later ones are held). Zero disables.</summary>
    public TimeSpan RepeatedConflictDelay { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>Undelivered updates older than this are discarded (24 h on the server).</summary>
    public TimeSpan UpdateLifetime { get; set; } = TimeSpan.FromHours(24);

    /// <summary>Delay before the 2nd retry of a failed webhook delivery (the 1st retry is immediate, as on the server); doubles per failure.</summary>
    public TimeSpan WebhookRetryDelay { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>Cap for the doubling webhook retry delay and for an honoured Retry-After header (server: 60–120 s, Retry-After up to 1 h).</summary>
    public TimeSpan WebhookMaxRetryDelay { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Attempts per update before it is dropped; null = keep retrying (the server only drops after the 24-h lifetime).</summary>
    public int? WebhookMaxAttempts { get; set; }

    /// <summary>How long one webhook POST may take before it counts as a failure.</summary>
    public TimeSpan WebhookRequestTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Cloud Telegram only accepts HTTPS webhooks on ports 443/80/88/8443; off by default so loopback listeners work (local-server behaviour).</summary>
    public bool RequireHttpsWebhook { get; set; }

    /// <summary>The server answers a second setWebhook within 1 s with 429 "retry after 1". Zero (default) disables the check.</summary>
    public TimeSpan SetWebhookMinInterval { get; set; } = TimeSpan.Zero;

    /// <summary>
    /// The server's guard against clients that poll in a loop (on by default): getUpdates with the same offset as the
    /// previous call waits at least 3 s when asked for less within 3 s of it, and returns at most one update within 0.5 s.
    /// </summary>
    public bool ThrottleRepeatedPolls { get; set; } = true;

    /// <summary>getUpdates answers at once, ignoring <c>timeout</c> (a self-hosted Bot API server or proxy that does not long-poll).</summary>
    public bool IgnoreLongPollTimeout { get; set; }

    /// <summary>The update_id the next enqueued update gets. Set it to jump (the server picks a random id after a week without updates).</summary>
    public int NextUpdateId
    {
        get { lock (_gate) return _nextUpdateId; }
        set { lock (_gate) _nextUpdateId = value; }
    }

    /// <summary>
    /// What the server does after a week without updates: the next update_id is chosen at random instead of
    /// sequentially (Bot API, Update.update_id). Only an empty queue restarts, as on the server; returns the new id.
    /// </summary>
    public int RestartUpdateIds(int nextUpdateId)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(nextUpdateId, 1);
        lock (_gate)
        {
            PurgeExpired();
            if (_queue.Count > 0)
                throw new InvalidOperationException($"{_queue.Count} updates are pending: the server restarts update ids only after a week without updates.");
            _nextUpdateId = nextUpdateId;
            return nextUpdateId;
        }
    }

    /// <summary>getUpdates calls whose positive offset was not an offset of the queue and was ignored (answered from the oldest pending update).</summary>
    public int IgnoredOffsetCount { get { lock (_gate) return _ignoredOffsets; } }

    /// <summary>Updates queued and not yet confirmed (polling) or acknowledged with 2xx (webhook).</summary>
    public int PendingUpdateCount { get { lock (_gate) { PurgeExpired(); return _queue.Count; } } }

    /// <summary>True while this update is queued: not yet confirmed by a later offset (polling) or acknowledged with 2xx (webhook).</summary>
    public bool IsUpdatePending(int updateId) { lock (_gate) { PurgeExpired(); return _queue.Exists(u => u.Id == updateId); } }

    /// <summary>Updates discarded at enqueue time because allowed_updates excluded their type.</summary>
    public int FilteredUpdateCount { get { lock (_gate) return _droppedByFilter; } }

    public string? WebhookUrl { get { lock (_gate) return _webhook?.Url; } }
    public IReadOnlyList<WebhookAttempt> WebhookAttempts { get { lock (_gate) return [.. _webhookAttempts]; } }
    public int WebhookDeliveredCount { get { lock (_gate) return _webhookDelivered; } }
    public int WebhookFailedAttemptCount { get { lock (_gate) return _webhookAttempts.Count(a => !a.Succeeded); } }
    public int WebhookDroppedCount { get { lock (_gate) return _webhookDropped; } }

    /// <summary>True while a getUpdates long poll is waiting.</summary>
    public bool IsLongPollPending { get { lock (_gate) return _activePoll is not null; } }

    // ---------------------------------------------------------------- enqueueing

    /// <summary>Queue a raw Update (JSON text). <c>update_id</c> is assigned when absent.</summary>
    public EnqueuedUpdate EnqueueUpdate(string updateJson) =>
        EnqueueUpdate(JsonNode.Parse(updateJson) as JsonObject ?? throw new ArgumentException("An Update must be a JSON object.", nameof(updateJson)));

    /// <summary>Queue a raw Update. <c>update_id</c> is assigned when absent; chats and messages in it become known to the fake.</summary>
    public EnqueuedUpdate EnqueueUpdate(JsonObject update)
    {
        ArgumentNullException.ThrowIfNull(update);
        update = (JsonObject)update.DeepClone();
        lock (_gate)
        {
            int id;
            var givenType = update.Select(kv => kv.Key).FirstOrDefault(k => k != "update_id") ?? "unknown";
            if (update["update_id"] is JsonValue v && v.TryGetValue<int>(out var given))
            {
                id = given;
                if (given >= _nextUpdateId) _nextUpdateId = given + 1;
            }
            else
            {
                // As the server: an update that allowed_updates excludes is never queued and takes no update_id,
                // so the ids a poller sees stay consecutive (its result carries the id it would have had).
                id = IsAllowed(givenType) ? _nextUpdateId++ : _nextUpdateId;
                // Keep update_id first, like the server's output.
                var copy = new JsonObject { ["update_id"] = id };
                foreach (var (k, val) in update.ToList())
                {
                    update.Remove(k);
                    copy[k] = val;
                }
                update = copy;
            }

            var type = update.Select(kv => kv.Key).FirstOrDefault(k => k != "update_id") ?? "unknown";
            var message = update[type] as JsonObject;
            long? chatId = null;
            int? messageId = null;
            if (message is not null && type is "message" or "edited_message" or "channel_post" or "edited_channel_post" or "business_message" or "edited_business_message")
            {
                (chatId, messageId) = RememberIncomingMessage(message, type.StartsWith("edited", StringComparison.Ordinal));
            }
            else if (message?["chat"] is JsonObject chatJson)
            {
                chatId = RememberChat(chatJson);
            }

            var result = new EnqueuedUpdate(id, chatId, messageId, (JsonObject)update.DeepClone());
            if (!IsAllowed(type))
            {
                _droppedByFilter++;
                return result;
            }
            _updateHistory[id] = (JsonObject)update.DeepClone();
            _queue.Add(new QueuedUpdate(id, update, type, Clock.GetUtcNow()));
            Pulse();
            return result;
        }
    }

    /// <summary>
    /// Queue an already-enqueued update again with the same update_id (duplicate delivery, for dedup tests).
    /// In polling mode the client's offset decides whether it is seen again; in webhook mode it is POSTed again.
    /// </summary>
    public EnqueuedUpdate RedeliverUpdate(int updateId)
    {
        JsonObject json;
        lock (_gate)
        {
            if (!_updateHistory.TryGetValue(updateId, out var stored))
                throw new ArgumentException($"Update {updateId} was never enqueued.", nameof(updateId));
            json = (JsonObject)stored.DeepClone();
            var type = json.Select(kv => kv.Key).First(k => k != "update_id");
            _queue.Add(new QueuedUpdate(updateId, json, type, Clock.GetUtcNow()));
            Pulse();
        }
        return new EnqueuedUpdate(updateId, null, null, (JsonObject)json.DeepClone());
    }

    private bool IsAllowed(string type) =>
        _allowedUpdates is null ? !OptInOnlyUpdateTypes.Contains(type) : _allowedUpdates.Contains(type);

    private void PurgeExpired()
    {
        var cutoff = Clock.GetUtcNow() - UpdateLifetime;
        if (_queue.RemoveAll(u => u.EnqueuedAt < cutoff) > 0) Pulse();
    }

    // ---------------------------------------------------------------- getUpdates

    private sealed record QueuedUpdate(int Id, JsonObject Json, string Type, DateTimeOffset EnqueuedAt);

    private sealed class PollWaiter
    {
        /// <summary>Completed with a 409 description when a newer poll or setWebhook ends this one (null: fake disposed).</summary>
        public TaskCompletionSource<string?> Terminated { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private async Task<Reply> GetUpdatesAsync(RequestParams p, CancellationToken aborted)
    {
        var offset = p.GetLong("offset") ?? 0;
        var limit = (int)Math.Clamp(p.GetLong("limit") ?? 100, 1, 100);
        var timeout = Math.Clamp(p.GetLong("timeout") ?? 0, 0, MaxLongPollTimeoutSeconds);
        var allowed = p.GetStringArray("allowed_updates");

        PollWaiter me;
        Task changed;
        lock (_gate)
        {
            if (_webhook is not null)
            {
                me = null!;
                changed = null!;
            }
            else
            {
                if (allowed is not null)
                    _allowedUpdates = allowed.Count == 0 ? null : [.. allowed];
                // As the server (process_get_updates_query): the same offset again within 3 s polls for at least 3 s,
                // and within 0.5 s gets at most one update, so a client retrying in a loop cannot spin it.
                var now = DateTimeOffset.UtcNow;
                if (ThrottleRepeatedPolls && offset == _previousPollOffset)
                {
                    if (timeout < 3 && now < _previousPollAt + TimeSpan.FromSeconds(3)) timeout = 3;
                    if (now < _previousPollAt + TimeSpan.FromSeconds(0.5)) limit = 1;
                }
                _previousPollOffset = offset;
                _previousPollAt = now;
                if (IgnoreLongPollTimeout) timeout = 0;
                Confirm(offset);
                // As the server: a long poll keeps waiting from the queue's head when no (or a negative) offset was given.
                if (offset <= 0) offset = _queue.Count > 0 ? _queue.Min(u => u.Id) : _nextUpdateId;
                _activePoll?.Terminated.TrySetResult(OtherGetUpdatesConflict);
                _activePoll = null;
                var batch = Take(limit);
                if (batch.Count > 0 || timeout == 0)
                    return new Reply(batch);
                me = new PollWaiter();
                _activePoll = me;
                Pulse(); // lets tests observe IsLongPollPending
                changed = _changed.Task;
            }
        }
        if (me is null)
            return await ConflictAsync(WebhookActiveConflict, aborted);

        // Real time, not Clock: a frozen test clock must not make long polls hang.
        var deadline = DateTimeOffset.UtcNow + TimeSpan.FromSeconds(timeout);
        while (true)
        {
            var remaining = deadline - DateTimeOffset.UtcNow;
            if (remaining > TimeSpan.Zero)
            {
                try
                {
                    await Task.WhenAny(changed, me.Terminated.Task).WaitAsync(remaining, aborted);
                }
                catch (TimeoutException) { }
                catch (OperationCanceledException) { }
            }
            string? conflict = null;
            lock (_gate)
            {
                if (me.Terminated.Task.IsCompleted)
                {
                    conflict = me.Terminated.Task.Result ?? throw new BotApiException(500, "Internal Server Error: restart");
                }
                else
                {
                    // The server runs the whole query again when a long poll wakes (do_get_updates): the offset is
                    // checked against the queue as it is now (update ids may have restarted meanwhile).
                    Confirm(offset);
                    var batch = Take(limit);
                    if (batch.Count > 0 || aborted.IsCancellationRequested || DateTimeOffset.UtcNow >= deadline)
                    {
                        if (_activePoll == me) _activePoll = null;
                        return new Reply(batch);
                    }
                    changed = _changed.Task;
                }
            }
            if (conflict is not null)
                return await ConflictAsync(conflict, aborted);
        }
    }

    // Repeated conflicts are slowed down like the server does, so a misbehaving loop cannot spin.
    private async Task<Reply> ConflictAsync(string description, CancellationToken aborted)
    {
        TimeSpan hold;
        lock (_gate)
        {
            var now = DateTimeOffset.UtcNow;
            var next = _lastConflictAt == DateTimeOffset.MinValue ? now : _lastConflictAt + RepeatedConflictDelay;
            hold = next > now ? next - now : TimeSpan.Zero;
            _lastConflictAt = now + hold;
        }
        if (hold > TimeSpan.Zero)
        {
            try { await Task.Delay(hold, aborted); } catch (OperationCanceledException) { }
        }
        throw new BotApiException(409, description);
    }

    /// <summary>
    /// As the server's update queue (tdlib TQueue::get): a positive offset more than 10 past the next update_id, or
    /// more than 100,000 before the oldest pending one, is not an offset of this queue (ids restarted at a random
    /// value after a week without updates, another Bot API server's ids): it is ignored and the answer starts at the
    /// oldest pending update, so nothing is confirmed unseen. A valid offset confirms every update below it.
    /// </summary>
    private bool IsValidOffset(long offset)
    {
        var head = _queue.Count > 0 ? _queue.Min(u => u.Id) : _nextUpdateId;
        return offset <= (long)_nextUpdateId + 10 && offset >= (long)head - 100_000;
    }

    private void Confirm(long offset)
    {
        PurgeExpired();
        var removed = 0;
        if (offset > 0 && !IsValidOffset(offset))
        {
            _ignoredOffsets++;
        }
        else if (offset > 0)
            removed = _queue.RemoveAll(u => u.Id < offset);
        else if (offset < 0 && _queue.Count > -offset)
        {
            removed = _queue.Count - (int)-offset;
            _queue.RemoveRange(0, removed);
        }
        if (removed > 0) Pulse();
    }

    private JsonArray Take(int limit)
    {
        PurgeExpired();
        var arr = new JsonArray();
        foreach (var u in _queue.Take(limit)) arr.Add(u.Json.DeepClone());
        return arr;
    }

    // ---------------------------------------------------------------- webhook

    private sealed record WebhookConfig(string Url, string? SecretToken, int MaxConnections, string? AllowedUpdatesKey);

    [GeneratedRegex("^[A-Za-z0-9_-]*$")]
    private static partial Regex SecretTokenChars();

    private Reply SetWebhook(RequestParams p)
    {
        var url = p.GetString("url") ?? "";
        if (url.Length == 0) return DeleteWebhook(p);

        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            throw new BotApiException(400, "Bad Request: invalid webhook URL specified");
        if (RequireHttpsWebhook)
        {
            if (uri.Scheme != Uri.UriSchemeHttps)
                throw new BotApiException(400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook");
            if (uri.Port is not (443 or 80 or 88 or 8443))
                throw new BotApiException(400, "Bad Request: bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443");
        }
        var secret = p.GetString("secret_token");
        if (secret is not null)
        {
            if (secret.Length > 256) throw new BotApiException(400, "Bad Request: secret token is too long");
            if (!SecretTokenChars().IsMatch(secret)) throw new BotApiException(400, "Bad Request: secret token contains unallowed characters");
            if (secret.Length == 0) secret = null;
        }
        var maxConnections = (int)Math.Clamp(p.GetLong("max_connections") ?? 40, 1, 100);
        var allowed = p.GetStringArray("allowed_updates");

        lock (_gate)
        {
            var now = Clock.GetUtcNow();
            if (SetWebhookMinInterval > TimeSpan.Zero && _lastWebhookSetAt is { } last && now - last < SetWebhookMinInterval)
                throw new BotApiException(429, "Too Many Requests: retry after 1", 1);
            _lastWebhookSetAt = now;

            if (allowed is not null) _allowedUpdates = allowed.Count == 0 ? null : [.. allowed];
            if (p.GetBool("drop_pending_updates")) _queue.Clear();
            _activePoll?.Terminated.TrySetResult(SetWebhookConflict);
            _activePoll = null;

            var config = new WebhookConfig(url, secret, maxConnections, _allowedUpdates is null ? null : string.Join(',', _allowedUpdates.Order()));
            if (_webhook == config)
                return new Reply(true, "Webhook is already set");

            _webhookCts?.Cancel();
            _webhookCts = CancellationTokenSource.CreateLinkedTokenSource(_disposeCts.Token);
            _webhook = config;
            _lastWebhookError = null;
            _lastWebhookErrorAt = null;
            var previous = _webhookLoop ?? Task.CompletedTask;
            var ct = _webhookCts.Token;
            _webhookLoop = Task.Run(async () =>
            {
                try { await previous; } catch (OperationCanceledException) { }
                await DeliverLoopAsync(config, ct);
            });
            Pulse();
            return new Reply(true, "Webhook was set");
        }
    }

    private Reply DeleteWebhook(RequestParams p)
    {
        lock (_gate)
        {
            if (p.GetBool("drop_pending_updates")) _queue.Clear();
            if (_webhook is null) return new Reply(true, "Webhook is already deleted");
            _webhookCts?.Cancel();
            _webhook = null;
            Pulse();
            return new Reply(true, "Webhook was deleted");
        }
    }

    private Reply GetWebhookInfo()
    {
        lock (_gate)
        {
            PurgeExpired();
            var info = new JsonObject
            {
                ["url"] = _webhook?.Url ?? "",
                ["has_custom_certificate"] = false,
                ["pending_update_count"] = _queue.Count,
            };
            if (_lastWebhookErrorAt is { } at)
            {
                info["last_error_date"] = at.ToUnixTimeSeconds();
                info["last_error_message"] = _lastWebhookError;
            }
            if (_webhook is not null)
            {
                info["max_connections"] = _webhook.MaxConnections;
                if (_allowedUpdates is not null) info["allowed_updates"] = new JsonArray([.. _allowedUpdates.Order().Select(a => (JsonNode)a)]);
            }
            return new Reply(info);
        }
    }

    /// <summary>
    /// Delivers like the server: updates of one chat one at a time and in order, different chats in parallel up to
    /// the webhook's <c>max_connections</c>. Anything not answered 2xx is posted again (the first retry at once,
    /// then with a doubling delay, or after the Retry-After the webhook asked for); later updates of that chat wait.
    /// </summary>
    private async Task DeliverLoopAsync(WebhookConfig config, CancellationToken ct)
    {
        var inFlight = new Dictionary<string, Task>(StringComparer.Ordinal);
        var failures = new Dictionary<int, int>();
        var notBefore = new Dictionary<int, DateTimeOffset>();
        while (!ct.IsCancellationRequested)
        {
            var started = new List<(QueuedUpdate Update, string Key)>();
            Task changed;
            DateTimeOffset? wakeAt = null;
            lock (_gate)
            {
                PurgeExpired();
                changed = _changed.Task;
                var blocked = new HashSet<string>(inFlight.Keys, StringComparer.Ordinal);
                foreach (var update in _queue)
                {
                    if (inFlight.Count + started.Count >= config.MaxConnections) break;
                    var key = OrderingKey(update);
                    // Only the oldest queued update of a chat may go; the chat's later ones wait behind it.
                    if (!blocked.Add(key)) continue;
                    if (notBefore.TryGetValue(update.Id, out var at) && at > DateTimeOffset.UtcNow)
                    {
                        wakeAt = wakeAt is null || at < wakeAt ? at : wakeAt;
                        continue;
                    }
                    started.Add((update, key));
                }
            }
            foreach (var (update, key) in started)
            {
                inFlight[key] = DeliverOneAsync(config, update, failures, notBefore, ct);
            }
            if (inFlight.Count == 0 && wakeAt is null)
            {
                try { await changed.WaitAsync(ct); } catch (OperationCanceledException) { return; }
                continue;
            }
            var waits = new List<Task>(inFlight.Values) { changed };
            if (wakeAt is { } wake)
                waits.Add(Task.Delay(Max(wake - DateTimeOffset.UtcNow, TimeSpan.FromMilliseconds(1)), ct));
            try { await Task.WhenAny(waits).WaitAsync(ct); } catch (OperationCanceledException) { }
            foreach (var (key, task) in inFlight.Where(kv => kv.Value.IsCompleted).ToList())
            {
                inFlight.Remove(key);
                if (task.IsFaulted) throw task.Exception!.InnerException!;
            }
            if (ct.IsCancellationRequested)
            {
                try { await Task.WhenAll(inFlight.Values); } catch (OperationCanceledException) { }
                return;
            }
        }

        static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;
    }

    private async Task DeliverOneAsync(WebhookConfig config, QueuedUpdate next, Dictionary<int, int> failureCounts, Dictionary<int, DateTimeOffset> notBefore, CancellationToken ct)
    {
        var (status, error, retryAfter) = await PostUpdateAsync(config, next, ct);
        if (ct.IsCancellationRequested && status is null) return;
        var ok = status is >= 200 and < 300;
        lock (_gate)
        {
            _webhookAttempts.Add(new WebhookAttempt(next.Id, config.Url, status, error, config.SecretToken is not null, Clock.GetUtcNow()));
            if (ok)
            {
                _queue.Remove(next);
                _webhookDelivered++;
                failureCounts.Remove(next.Id);
                notBefore.Remove(next.Id);
            }
            else
            {
                var failures = failureCounts[next.Id] = failureCounts.GetValueOrDefault(next.Id) + 1;
                _lastWebhookErrorAt = Clock.GetUtcNow();
                _lastWebhookError = status is { } code
                    ? $"Wrong response from the webhook: {code} {ReasonPhrases.GetReasonPhrase(code)}".TrimEnd()
                    : error;
                var delay = TimeSpan.Zero;
                if (WebhookMaxAttempts is { } max && failures >= max)
                {
                    _queue.Remove(next);
                    _webhookDropped++;
                    failureCounts.Remove(next.Id);
                }
                else if (failures > 1)
                {
                    var backoff = WebhookRetryDelay * Math.Pow(2, Math.Min(failures - 2, 20));
                    delay = backoff < WebhookMaxRetryDelay ? backoff : WebhookMaxRetryDelay;
                }
                if (retryAfter is { } ra) delay = ra < WebhookMaxRetryDelay ? ra : WebhookMaxRetryDelay;
                if (delay > TimeSpan.Zero) notBefore[next.Id] = DateTimeOffset.UtcNow + delay;
                else notBefore.Remove(next.Id);
            }
            Pulse();
        }
    }

    /// <summary>Updates of one chat are delivered in order; an update without a chat is its own sequence.</summary>
    private static string OrderingKey(QueuedUpdate update)
    {
        var body = update.Json[update.Type] as JsonObject;
        var chat = body?["chat"] ?? (body?["message"] as JsonObject)?["chat"];
        if (chat?["id"] is JsonValue id && id.TryGetValue<long>(out var chatId))
            return "chat:" + chatId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (body?["from"]?["id"] is JsonValue from && from.TryGetValue<long>(out var userId))
            return "user:" + userId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return "update:" + update.Id.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    private async Task<(int? Status, string? Error, TimeSpan? RetryAfter)> PostUpdateAsync(WebhookConfig config, QueuedUpdate update, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, config.Url)
        {
            Content = new StringContent(update.Json.ToJsonString(), Encoding.UTF8, "application/json"),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        if (config.SecretToken is not null)
            request.Headers.TryAddWithoutValidation("X-Telegram-Bot-Api-Secret-Token", config.SecretToken);
        var uri = new Uri(config.Url);
        if (!string.IsNullOrEmpty(uri.UserInfo))
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(Uri.UnescapeDataString(uri.UserInfo))));

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(WebhookRequestTimeout);
        try
        {
            using var response = await _webhookHttp.SendAsync(request, HttpCompletionOption.ResponseContentRead, timeout.Token);
            TimeSpan? retryAfter = response.Headers.RetryAfter?.Delta;
            if (retryAfter is null && response.Headers.RetryAfter?.Date is { } date) retryAfter = date - DateTimeOffset.UtcNow;
            return ((int)response.StatusCode, null, retryAfter);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return (null, "Read timeout expired", null);
        }
        catch (OperationCanceledException)
        {
            return (null, "Webhook was deleted", null);
        }
        catch (HttpRequestException e)
        {
            return (null, e.HttpRequestError == HttpRequestError.ConnectionError ? "Connection refused" : e.Message, null);
        }
    }

    /// <summary>Wait until at least <paramref name="count"/> webhook POST attempts were made.</summary>
    public async Task<IReadOnlyList<WebhookAttempt>> WaitForWebhookAttemptsAsync(int count, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        await WaitForValueAsync(() => _webhookAttempts.Count >= count ? (IReadOnlyList<WebhookAttempt>)[.. _webhookAttempts] : null,
            timeout, $"{count} webhook attempts", cancellationToken);

    /// <summary>Wait until at least <paramref name="count"/> updates were acknowledged by the webhook with 2xx.</summary>
    public Task WaitForWebhookDeliveriesAsync(int count, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        WaitForValueAsync(() => _webhookDelivered >= count ? this : null, timeout, $"{count} webhook deliveries", cancellationToken);

    /// <summary>Wait until every queued update was confirmed (polling) or delivered (webhook).</summary>
    public Task WaitForNoPendingUpdatesAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        WaitForValueAsync(() => _queue.Count == 0 ? this : null, timeout, "the update queue to drain", cancellationToken);
}
