using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using MessengerAutoReply.Chats;
using Microsoft.Extensions.Logging;

namespace MessengerAutoReply.Archive.PocketBase;

/// <summary>
/// The archive in PocketBase (POCKET_BASE_URL). Every write is an idempotent upsert: create with our
/// deterministic id, and on "id already exists" update. Records an operator already has keep their ids: a chat
/// is found by source + platformChatId, a message by chat + platformMessageId, before an id is derived; the
/// mapping from our ids to theirs is cached. Any failure is thrown, so the grain's outbox keeps the write.
/// A chat's outbox batch is written as its newest versions (<see cref="UpsertBatchAsync"/>): the chat record
/// first, then its messages in parallel; all chats' requests share <see cref="MaxInFlight"/> slots, the
/// concurrency PocketBase's own create rate is measured at.
/// </summary>
public sealed partial class PocketBaseArchive(
    PocketBaseClient client,
    PocketBaseSchema schema,
    PocketBaseOptions options,
    TimeProvider time,
    ArchiveBacklog backlog,
    ILogger<PocketBaseArchive> logger) : IBatchingChatArchive, IDisposable
{
    /// <summary>Archive requests in flight to PocketBase from this process: more only queue in its SQLite writer.</summary>
    public const int MaxInFlight = 16;

    private readonly SemaphoreSlim _inFlight = new(MaxInFlight, MaxInFlight);

    public void Dispose() => _inFlight.Dispose();

    private const string ChatsPath = "/api/collections/chats/records";
    private const string MessagesPath = "/api/collections/messages/records";

    // Our chat id -> its record id (equal unless an operator's record was adopted).
    private readonly ConcurrentDictionary<string, string> _chatRecordIds = new();
    // Our message id -> an adopted record's id; only messages whose record has another id are here.
    private readonly ConcurrentDictionary<string, string> _messageRecordIds = new();
    // When each source's chats were last scanned for ids: unknown ids must not trigger a scan per request.
    private readonly ConcurrentDictionary<string, DateTimeOffset> _scans = new();

    public Task UpsertChatAsync(Chat chat, CancellationToken cancellationToken) =>
        RejectingAsync(() => UpsertChatCoreAsync(chat, cancellationToken), $"chat {chat.Id}");

    /// <summary>
    /// One chat's outbox batch, in order as far as it matters: only each record's newest version is written
    /// (the upserts are idempotent and whole-record, so the result equals writing every version in turn), the
    /// chat before its messages (they point at it), and its messages in order. A record PocketBase
    /// refuses for its content is set aside (logged, counted) as in the one-by-one path; any other failure
    /// throws and the whole batch is retried, which the upserts make safe.
    /// </summary>
    public async Task UpsertBatchAsync(IReadOnlyList<(Chat? Chat, ChatMessage? Message)> records, CancellationToken cancellationToken)
    {
        Chat? chat = null;
        var messages = new Dictionary<string, ChatMessage>(StringComparer.Ordinal);
        var order = new List<string>();
        foreach (var (c, m) in records)
        {
            chat = c ?? chat;
            if (m is not null)
            {
                if (!messages.ContainsKey(m.Id))
                {
                    order.Add(m.Id);
                }
                messages[m.Id] = m;
            }
        }
        if (chat is not null)
        {
            await SetAsideRejected(() => Slot(() => UpsertChatAsync(chat, cancellationToken), cancellationToken), $"chat {chat.Id}");
        }
        // One chat's messages one after another: PocketBase's `created` (its admin UI's default order, and what
        // operators' own tools sort by) then follows the chat's order. Chats still write side by side.
        foreach (var id in order)
        {
            await SetAsideRejected(() => Slot(() => UpsertMessageAsync(messages[id], cancellationToken), cancellationToken), $"message {id}");
        }
    }

    private async Task Slot(Func<Task> write, CancellationToken cancellationToken)
    {
        await _inFlight.WaitAsync(cancellationToken);
        try
        {
            await write();
        }
        finally
        {
            _inFlight.Release();
        }
    }

    private async Task SetAsideRejected(Func<Task> write, string what)
    {
        try
        {
            await write();
        }
        catch (ArchiveRejectedException ex)
        {
            // Holding it would stop every later write of this chat for good; grain state and the stream have it.
            backlog.Rejected();
            LogRejected(what, ex.Message);
        }
    }

    /// <summary>
    /// A 400 with field errors is PocketBase judging the record itself; no retry changes that. A missing
    /// relation is the exception: the chat it points at may still be on its way.
    /// </summary>
    private static async Task RejectingAsync(Func<Task> write, string what)
    {
        try
        {
            await write();
        }
        catch (PocketBaseException ex) when (ex.Status == HttpStatusCode.BadRequest && ex.Error?.Data is { Count: > 0 }
            && !ex.HasCode("validation_missing_rel_records"))
        {
            throw new ArchiveRejectedException($"PocketBase refuses {what}: {ex.Message}", ex);
        }
    }

    private async Task UpsertChatCoreAsync(Chat chat, CancellationToken cancellationToken)
    {
        await schema.EnsureAsync(cancellationToken);
        var body = ChatRecord.From(chat, null);
        var recordId = await FindChatRecordIdAsync(chat, cancellationToken);
        if (recordId is not null)
        {
            if (await PatchAsync(ChatsPath, recordId, body, cancellationToken))
            {
                return;
            }
            // Deleted meanwhile (or a token PocketBase did not take: the create below then fails and we retry).
            _chatRecordIds.TryRemove(chat.Id, out _);
        }
        try
        {
            await CreateAsync(ChatsPath, body with { Id = chat.Id }, cancellationToken);
            _chatRecordIds[chat.Id] = chat.Id;
        }
        catch (PocketBaseException ex) when (ex.Has("id", "validation_invalid_id"))
        {
            // Ours already: an earlier attempt whose answer was lost.
            await PatchOrThrowAsync(ChatsPath, chat.Id, body, cancellationToken);
            _chatRecordIds[chat.Id] = chat.Id;
        }
        catch (PocketBaseException ex) when (ex.HasCode("validation_not_unique"))
        {
            // Another writer's record holds the key: adopt it.
            var adopted = await LookupChatAsync(chat.Source, chat.PlatformChatId, cancellationToken)
                ?? throw new InvalidOperationException(
                    $"PocketBase refuses chat {chat.Source}/{chat.PlatformChatId}: its chats collection has a unique index on platformChatId alone and another source uses that id; make the index (source, platformChatId)");
            await PatchOrThrowAsync(ChatsPath, adopted, body, cancellationToken);
            _chatRecordIds[chat.Id] = adopted;
        }
    }

    public Task UpsertMessageAsync(ChatMessage message, CancellationToken cancellationToken) =>
        RejectingAsync(() => UpsertMessageCoreAsync(message, cancellationToken), $"message {message.Id}");

    private async Task UpsertMessageCoreAsync(ChatMessage message, CancellationToken cancellationToken)
    {
        var info = await schema.EnsureAsync(cancellationToken);
        var chatRecordId = await ResolveChatRecordIdAsync(message.ChatId, message.Source, cancellationToken)
            ?? throw new InvalidOperationException($"Chat {message.ChatId} is not in PocketBase yet; its message {message.Id} waits for it");
        var body = MessageRecord.From(message, null, chatRecordId);

        if (_messageRecordIds.TryGetValue(message.Id, out var known))
        {
            if (await PatchAsync(MessagesPath, known, body, cancellationToken))
            {
                return;
            }
            _messageRecordIds.TryRemove(message.Id, out _);
        }
        // A chat adopted from the operator may hold messages under other ids; without the unique index
        // PocketBase would not tell us, so look first.
        if (chatRecordId != message.ChatId || !info.MessagesUniqueByChat)
        {
            var existing = await LookupMessageAsync(chatRecordId, message.PlatformMessageId, cancellationToken);
            if (existing is not null && existing != message.Id)
            {
                await PatchOrThrowAsync(MessagesPath, existing, body, cancellationToken);
                _messageRecordIds[message.Id] = existing;
                return;
            }
        }
        try
        {
            await CreateAsync(MessagesPath, body with { Id = message.Id }, cancellationToken);
        }
        catch (PocketBaseException ex) when (ex.Has("id", "validation_invalid_id"))
        {
            await PatchOrThrowAsync(MessagesPath, message.Id, body, cancellationToken);
        }
        catch (PocketBaseException ex) when (ex.Has("platformMessageId", "validation_not_unique"))
        {
            var existing = await LookupMessageAsync(chatRecordId, message.PlatformMessageId, cancellationToken);
            if (existing is null)
            {
                throw;
            }
            await PatchOrThrowAsync(MessagesPath, existing, body, cancellationToken);
            _messageRecordIds[message.Id] = existing;
        }
        catch (PocketBaseException ex) when (ex.Has("chatId", "validation_missing_rel_records"))
        {
            // The chat record went away (an operator deleted it): find it again next time.
            _chatRecordIds.TryRemove(message.ChatId, out _);
            throw;
        }
    }

    public Task<Chat?> GetChatAsync(string chatId, CancellationToken cancellationToken) => ReadAsync(async () =>
    {
        await schema.EnsureAsync(cancellationToken);
        var recordId = await ResolveChatRecordIdAsync(chatId, null, cancellationToken);
        if (recordId is null)
        {
            return null;
        }
        using var response = await client.SendAsync(() => new HttpRequestMessage(HttpMethod.Get, $"{ChatsPath}/{recordId}"), cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
        await client.EnsureSuccessAsync(response, cancellationToken);
        return (await response.Content.ReadFromJsonAsync<ChatRecord>(PocketBaseClient.Json, cancellationToken))!.ToChat();
    }, cancellationToken);

    public Task<Paged<Chat>> ListChatsAsync(ChatQuery query, CancellationToken cancellationToken) => ReadAsync(async () =>
    {
        await schema.EnsureAsync(cancellationToken);
        var filters = new List<string>();
        if (!string.IsNullOrEmpty(query.Source))
        {
            filters.Add(PocketBaseFilter.Equal("source", query.Source));
        }
        if (!string.IsNullOrWhiteSpace(query.Search))
        {
            filters.Add(PocketBaseFilter.Contains("name", query.Search.Trim()));
        }
        // `updated` is PocketBase's own field, touched by every write of the chat: newest first, as the seed wants.
        var list = await ListAsync<ChatRecord>(ChatsPath, string.Join(" && ", filters), "-updated,id", query.Page, query.PerPage, cancellationToken);
        var items = new List<Chat>(list.Items.Count);
        foreach (var record in list.Items)
        {
            var chat = record.ToChat();
            _chatRecordIds[chat.Id] = record.Id!;
            items.Add(chat);
        }
        return new Paged<Chat>(list.Page, list.PerPage, list.TotalItems, list.TotalPages, items);
    }, cancellationToken);

    public Task<Paged<ChatMessage>> ListMessagesAsync(string chatId, MessageQuery query, CancellationToken cancellationToken) => ReadAsync(async () =>
    {
        await schema.EnsureAsync(cancellationToken);
        var recordId = await ResolveChatRecordIdAsync(chatId, null, cancellationToken);
        if (recordId is null)
        {
            return Paged.Of<ChatMessage>(query.Page, query.PerPage, 0, []);
        }
        // Timestamps have millisecond precision; `created` then keeps the order the chat wrote them in.
        var sort = query.NewestFirst ? "-timestamp,-created,-id" : "timestamp,created,id";
        var list = await ListAsync<MessageRecord>(MessagesPath, PocketBaseFilter.Equal("chatId", recordId), sort, query.Page, query.PerPage, cancellationToken);
        var items = list.Items.Select(r => r.ToMessage(chatId, null)).ToList();
        return new Paged<ChatMessage>(list.Page, list.PerPage, list.TotalItems, list.TotalPages, items);
    }, cancellationToken);

    /// <summary>The record id of a chat we hold in full: cache, else its source + platformChatId.</summary>
    private async Task<string?> FindChatRecordIdAsync(Chat chat, CancellationToken ct)
    {
        if (_chatRecordIds.TryGetValue(chat.Id, out var known))
        {
            return known;
        }
        var found = await LookupChatAsync(chat.Source, chat.PlatformChatId, ct);
        if (found is not null)
        {
            _chatRecordIds[chat.Id] = found;
            if (found != chat.Id)
            {
                LogAdopted("chat", chat.Id, found);
            }
        }
        return found;
    }

    /// <summary>
    /// The record id for one of our chat ids when only the id is known: the cache, the record of that id, or a
    /// scan of the chats (an adopted record's id cannot be derived, only matched).
    /// </summary>
    private async Task<string?> ResolveChatRecordIdAsync(string chatId, string? source, CancellationToken ct)
    {
        if (_chatRecordIds.TryGetValue(chatId, out var known))
        {
            return known;
        }
        if (!ChatIds.IsValid(chatId))
        {
            return null;
        }
        using (var response = await client.SendAsync(() => new HttpRequestMessage(HttpMethod.Get,
            $"{ChatsPath}/{chatId}?fields=id,source,platformChatId"), ct))
        {
            if (response.StatusCode != HttpStatusCode.NotFound)
            {
                await client.EnsureSuccessAsync(response, ct);
                var record = (await response.Content.ReadFromJsonAsync<ChatRecord>(PocketBaseClient.Json, ct))!;
                if (ChatIds.ForChat(record.Source, record.PlatformChatId) == chatId)
                {
                    return _chatRecordIds[chatId] = chatId;
                }
            }
        }
        var scanKey = source ?? "";
        var now = time.GetUtcNow();
        if (_scans.TryGetValue(scanKey, out var last) && now - last < options.BootstrapRetry)
        {
            return null;
        }
        _scans[scanKey] = now;
        var filter = source is null ? "" : PocketBaseFilter.Equal("source", source);
        for (var page = 1; ; page++)
        {
            var list = await ListAsync<ChatRecord>(ChatsPath, filter, "id", page, 500, ct, "id,source,platformChatId", skipTotal: true);
            foreach (var record in list.Items)
            {
                _chatRecordIds[ChatIds.ForChat(record.Source, record.PlatformChatId)] = record.Id!;
            }
            if (list.Items.Count < 500)
            {
                break;
            }
        }
        return _chatRecordIds.GetValueOrDefault(chatId);
    }

    private async Task<string?> LookupChatAsync(string source, string platformChatId, CancellationToken ct)
    {
        var list = await ListAsync<ChatRecord>(ChatsPath,
            PocketBaseFilter.Equal("source", source) + " && " + PocketBaseFilter.Equal("platformChatId", platformChatId), "created,id", 1, 1, ct, "id", skipTotal: true);
        return list.Items.Count > 0 ? list.Items[0].Id : null;
    }

    private async Task<string?> LookupMessageAsync(string chatRecordId, string platformMessageId, CancellationToken ct)
    {
        var list = await ListAsync<MessageRecord>(MessagesPath,
            PocketBaseFilter.Equal("chatId", chatRecordId) + " && " + PocketBaseFilter.Equal("platformMessageId", platformMessageId), "created,id", 1, 1, ct, "id", skipTotal: true);
        return list.Items.Count > 0 ? list.Items[0].Id : null;
    }

    private async Task<RecordList<T>> ListAsync<T>(string path, string filter, string sort, int page, int perPage, CancellationToken ct,
        string? fields = null, bool skipTotal = false)
    {
        var query = $"?page={page}&perPage={perPage}&sort={Uri.EscapeDataString(sort)}";
        if (filter.Length > 0)
        {
            query += $"&filter={Uri.EscapeDataString(filter)}";
        }
        if (fields is not null)
        {
            query += $"&fields={Uri.EscapeDataString(fields)}";
        }
        if (skipTotal)
        {
            query += "&skipTotal=1";
        }
        return await client.SendJsonAsync<RecordList<T>>(HttpMethod.Get, path + query, null, ct);
    }

    private async Task CreateAsync(string path, object body, CancellationToken ct)
    {
        using var response = await client.SendAsync(() => new HttpRequestMessage(HttpMethod.Post, $"{path}?fields=id")
        {
            Content = JsonContent.Create(body, body.GetType(), options: PocketBaseClient.Json),
        }, ct);
        await client.EnsureSuccessAsync(response, ct);
    }

    /// <summary>False when there is no such record (404); throws on anything else that is not success.</summary>
    private async Task<bool> PatchAsync(string path, string recordId, object body, CancellationToken ct)
    {
        using var response = await client.SendAsync(() => new HttpRequestMessage(HttpMethod.Patch, $"{path}/{recordId}?fields=id")
        {
            Content = JsonContent.Create(body, body.GetType(), options: PocketBaseClient.Json),
        }, ct);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }
        await client.EnsureSuccessAsync(response, ct);
        return true;
    }

    private async Task PatchOrThrowAsync(string path, string recordId, object body, CancellationToken ct)
    {
        if (!await PatchAsync(path, recordId, body, ct))
        {
            // 404 right after PocketBase said the record exists: most likely a token it did not take.
            client.InvalidateToken();
            throw new InvalidOperationException($"PocketBase: record {recordId} in {path} could not be updated (404); will retry");
        }
    }

    /// <summary>Reads say 503 when PocketBase cannot answer, rather than guessing (ChatEndpoints maps this).</summary>
    private static async Task<T> ReadAsync<T>(Func<Task<T>> read, CancellationToken ct)
    {
        try
        {
            return await read();
        }
        catch (Exception ex) when (ex is HttpRequestException or PocketBaseException or PocketBaseUnsupportedException
            or Polly.Timeout.TimeoutRejectedException or Polly.CircuitBreaker.BrokenCircuitException
            || (ex is OperationCanceledException && !ct.IsCancellationRequested))
        {
            throw new ArchiveUnavailableException($"PocketBase: {ex.Message}", ex);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "PocketBase: {Kind} {OurId} is the existing record {RecordId}; it keeps its id")]
    private partial void LogAdopted(string kind, string ourId, string recordId);

    [LoggerMessage(Level = LogLevel.Error, Message = "PocketBase refuses {What}; it is set aside (grain state keeps it): {Error}")]
    private partial void LogRejected(string what, string error);
}
