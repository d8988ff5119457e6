using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using MessengerAutoReply.Hosting;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace MessengerAutoReply.Archive.PocketBase;

/// <summary>
/// Makes sure <c>chats</c>, <c>messages</c> and <c>media</c> exist: creates the missing ones in the seed's shape
/// (plus our fields), and on existing ones only adds our missing fields, resending every existing field with
/// its id (0.22 drops a column's data when a field comes back without its id). Nothing else of an operator's
/// collection is touched: not its rules, not its indexes, not its fields' options.
/// </summary>
public sealed partial class PocketBaseSchema(PocketBaseClient client, TimeProvider time, ILogger<PocketBaseSchema> logger) : IDisposable
{
    public const string Chats = "chats";
    public const string Messages = "messages";
    public const string Media = "media";
    public const string Operators = "operators";
    public const string Audit = "audit";
    public const string CannedResponses = "canned_responses";

    private const string AuthRule = "@request.auth.id != ''";
    private const string AdminRule = "@request.auth.id != '' && @request.auth.type = 'admin'";

    private readonly SemaphoreSlim _lock = new(1, 1);
    private readonly SemaphoreSlim _workspaceLock = new(1, 1);
    private volatile bool _workspaceReady;

    public void Dispose()
    {
        _lock.Dispose();
        _workspaceLock.Dispose();
    }
    private volatile SchemaInfo? _ready;
    private (DateTimeOffset At, Exception Error)? _lastFailure;

    /// <summary>What the adapter learned about the collections it writes to.</summary>
    public sealed record SchemaInfo(bool MessagesUniqueByChat, bool MediaProtected, bool MediaHasMeta);

    public SchemaInfo? Ready => _ready;

    /// <summary>Bootstraps once; later calls return at once. Throws while PocketBase cannot be reached.</summary>
    public async ValueTask<SchemaInfo> EnsureAsync(CancellationToken cancellationToken)
    {
        if (_ready is { } ready)
        {
            return ready;
        }
        await _lock.WaitAsync(cancellationToken);
        try
        {
            if (_ready is not null)
            {
                return _ready;
            }
            // As for logins: whoever waited behind a failed attempt fails with it, without another round.
            if (_lastFailure is { } failed && time.GetUtcNow() - failed.At < client.FailFastWindow)
            {
                throw new HttpRequestException($"PocketBase schema check failed a moment ago: {failed.Error.Message}", failed.Error);
            }
            try
            {
                return _ready = await BootstrapAsync(cancellationToken);
            }
            catch (Exception ex) when (ex is not PocketBaseUnsupportedException and not OperationCanceledException)
            {
                _lastFailure = (time.GetUtcNow(), ex);
                throw;
            }
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>
    /// The operator workspace's collections (issue #17): <c>operators</c> and <c>audit</c> with every rule null,
    /// which in PocketBase 0.22 means admins only, so no PocketBase user ever reads a password hash; saved replies
    /// readable by PocketBase users like the chats. Created on first use, so a PocketBase that is down at start
    /// only delays sign-in.
    /// </summary>
    public async ValueTask EnsureWorkspaceAsync(CancellationToken cancellationToken)
    {
        if (_workspaceReady)
        {
            return;
        }
        await _workspaceLock.WaitAsync(cancellationToken);
        try
        {
            if (_workspaceReady)
            {
                return;
            }
            await EnsureCollectionAsync(OperatorsDefinition(), cancellationToken);
            await EnsureCollectionAsync(AuditDefinition(), cancellationToken);
            await EnsureCollectionAsync(CannedResponsesDefinition(), cancellationToken);
            _workspaceReady = true;
        }
        finally
        {
            _workspaceLock.Release();
        }
    }

    private async Task<SchemaInfo> BootstrapAsync(CancellationToken ct)
    {
        var media = await EnsureCollectionAsync(MediaDefinition(), ct);
        var chats = await EnsureCollectionAsync(ChatsDefinition(), ct);
        var messages = await EnsureCollectionAsync(MessagesDefinition(chats.Id, media.Id), ct);

        var uniqueByChat = messages.Indexes.Any(IsUniqueChatMessageIndex);
        if (!uniqueByChat)
        {
            LogNoUniqueIndex();
        }
        if (FindField(messages, "isIncoming") is { } isIncoming && isIncoming["required"]?.GetValue<bool>() == true)
        {
            LogRequiredBool();
        }
        var file = FindField(media, "file");
        var isProtected = file?["options"]?["protected"]?.GetValue<bool>() == true;
        var hasMeta = FindField(media, "fileName") is not null && FindField(media, "mimeType") is not null;
        LogReady(client.BaseUrl);
        return new SchemaInfo(uniqueByChat, isProtected, hasMeta);
    }

    private async Task<Collection> EnsureCollectionAsync(CollectionDefinition definition, CancellationToken ct)
    {
        var existing = await GetCollectionAsync(definition.Name, ct);
        if (existing is null)
        {
            try
            {
                var created = await client.SendJsonAsync<JsonObject>(HttpMethod.Post, "/api/collections", definition.ToCreateBody(), ct);
                LogCreated(definition.Name);
                return Collection.From(created);
            }
            catch (PocketBaseException ex) when (ex.Has("name", "validation_collection_name_exists"))
            {
                // Another process (a second silo, the API host) created it a moment ago.
                existing = await GetCollectionAsync(definition.Name, ct)
                    ?? throw new InvalidOperationException($"PocketBase says collection '{definition.Name}' exists but does not show it.");
            }
        }

        var missingSeed = definition.Fields.Where(f => f.IsSeed && FindField(existing, f.Name) is null).Select(f => $"{f.Name} ({f.Type})").ToList();
        var wrongType = definition.Fields
            .Select(f => (f, actual: FindField(existing, f.Name)?["type"]?.GetValue<string>()))
            .Where(x => x.actual is not null && x.actual != x.f.Type)
            .Select(x => $"{x.f.Name} is {x.actual}, expected {x.f.Type}")
            .ToList();
        if (missingSeed.Count > 0 || wrongType.Count > 0)
        {
            LogSeedMismatch(definition.Name, string.Join(", ", missingSeed.Concat(wrongType)));
        }

        var toAdd = definition.Fields.Where(f => !f.IsSeed && FindField(existing, f.Name) is null).ToList();
        if (toAdd.Count == 0)
        {
            return existing;
        }
        // Every existing field goes back exactly as PocketBase gave it (with its id, options and all), then ours.
        var schema = new JsonArray();
        foreach (var field in existing.Schema)
        {
            schema.Add(field?.DeepClone());
        }
        foreach (var field in toAdd)
        {
            schema.Add(field.ToNode());
        }
        var updated = await client.SendJsonAsync<JsonObject>(HttpMethod.Patch, $"/api/collections/{Uri.EscapeDataString(existing.Id)}",
            new JsonObject { ["schema"] = schema }, ct);
        LogFieldsAdded(definition.Name, string.Join(", ", toAdd.Select(f => f.Name)));
        return Collection.From(updated);
    }

    private async Task<Collection?> GetCollectionAsync(string name, CancellationToken ct)
    {
        using var response = await client.SendAsync(() => new HttpRequestMessage(HttpMethod.Get, $"/api/collections/{name}"), ct);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
        await client.EnsureSuccessAsync(response, ct);
        var body = (await response.Content.ReadFromJsonAsync<JsonObject>(PocketBaseClient.Json, ct))!;
        if (body.ContainsKey("fields") && !body.ContainsKey("schema"))
        {
            throw new PocketBaseUnsupportedException(
                $"POCKET_BASE_URL: {client.BaseUrl} is PocketBase 0.23 or newer (collections have 'fields'); this service supports 0.22 only");
        }
        return Collection.From(body);
    }

    private static JsonObject? FindField(Collection collection, string name) =>
        collection.Schema.OfType<JsonObject>().FirstOrDefault(f => f["name"]?.GetValue<string>() == name);

    /// <summary>Any UNIQUE index over exactly (chatId, platformMessageId), however PocketBase reformatted it.</summary>
    internal static bool IsUniqueChatMessageIndex(string index)
    {
        var match = IndexPattern().Match(index.Replace("`", "", StringComparison.Ordinal).Replace("\"", "", StringComparison.Ordinal));
        if (!match.Success)
        {
            return false;
        }
        var columns = match.Groups["columns"].Value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        return columns.Length == 2 && columns.Contains("chatId") && columns.Contains("platformMessageId");
    }

    [GeneratedRegex(@"^\s*CREATE\s+UNIQUE\s+INDEX\s.*?\((?<columns>[^)]*)\)\s*$", RegexOptions.IgnoreCase | RegexOptions.Singleline)]
    private static partial Regex IndexPattern();

    // The seed's collections. Field ids are fixed so a re-import or a later PATCH never loses a column.
    internal static CollectionDefinition MediaDefinition() => new(Media,
    [
        Field.Seed("media_file", "file", "file", required: true, options: new JsonObject
        {
            ["maxSelect"] = 1,
            ["maxSize"] = 52428800,
            ["mimeTypes"] = new JsonArray(),
            ["thumbs"] = new JsonArray(),
            ["protected"] = false,
        }),
        Field.Seed("media_platform", "platform", "text", required: true),
        Field.Extra("media_fileName", "fileName", "text"),
        Field.Extra("media_mimeType", "mimeType", "text"),
    ], []);

    // The seed says platformChatId is unique, but decision 2 makes a chat source + platformChatId: the same id
    // may exist under two sources (a Telegram chat and a Brevo visitor), so uniqueness is per source.
    internal static CollectionDefinition ChatsDefinition() => new(Chats,
    [
        Field.Seed("chats_platformChatId", "platformChatId", "text", required: true),
        Field.Seed("chats_source", "source", "text", required: true),
        Field.Seed("chats_name", "name", "text"),
        // The seed's `updated (date)` is PocketBase's system field; a schema field of that name is refused.
        Field.Seed("chats_openAIThreadId", "openAIThreadId", "text"),
        Field.Seed("chats_autoMode", "autoMode", "bool"),
        Field.Extra("chats_platform", "platform", "text"),
        Field.Extra("chats_lastMessage", "lastMessage", "text"),
        Field.Extra("chats_lastMessageAt", "lastMessageAt", "date"),
        Field.Extra("chats_unanswered", "unanswered", "bool"),
        Field.Extra("chats_aiRunning", "aiRunning", "bool"),
        Field.Extra("chats_error", "error", "text"),
        Field.Extra("chats_isGroup", "isGroup", "bool"),
    ], ["CREATE UNIQUE INDEX idx_chats_source_platformChatId ON chats (source, platformChatId)"]);

    internal static CollectionDefinition MessagesDefinition(string chatsId, string mediaId) => new(Messages,
    [
        Field.Seed("msgs_platformMessageId", "platformMessageId", "text", required: true),
        Field.Seed("msgs_source", "source", "text", required: true),
        Field.Seed("msgs_chatId", "chatId", "relation", required: true, options: Relation(chatsId, cascadeDelete: true)),
        Field.Seed("msgs_type", "type", "text", required: true),
        Field.Seed("msgs_content", "content", "text"),
        Field.Seed("msgs_mediaFileId", "mediaFileId", "relation", options: Relation(mediaId, cascadeDelete: false)),
        // Seed: "boolean, required". PocketBase treats a required bool's false as missing, so it is optional.
        Field.Seed("msgs_isIncoming", "isIncoming", "bool"),
        Field.Seed("msgs_timestamp", "timestamp", "date", required: true),
        Field.Seed("msgs_senderId", "senderId", "text", required: true),
        Field.Seed("msgs_senderName", "senderName", "text"),
        Field.Seed("msgs_responseMode", "responseMode", "text"),
        Field.Extra("msgs_platform", "platform", "text"),
        Field.Extra("msgs_status", "status", "text"),
        Field.Extra("msgs_error", "error", "text"),
        Field.Extra("msgs_fileName", "fileName", "text"),
        Field.Extra("msgs_mimeType", "mimeType", "text"),
    ],
    [
        "CREATE UNIQUE INDEX idx_messages_chatId_platformMessageId ON messages (chatId, platformMessageId)",
        "CREATE INDEX idx_messages_chatId_timestamp ON messages (chatId, timestamp)",
    ]);

    internal static CollectionDefinition OperatorsDefinition() => new(Operators,
    [
        Field.Extra("ops_email", "email", "text"),
        Field.Extra("ops_name", "name", "text"),
        Field.Extra("ops_role", "role", "text"),
        Field.Extra("ops_passwordHash", "passwordHash", "text"),
        Field.Extra("ops_disabled", "disabled", "bool"),
        Field.Extra("ops_securityStamp", "securityStamp", "text"),
    ], ["CREATE UNIQUE INDEX idx_operators_email ON operators (email)"], CollectionRules.AdminOnly);

    internal static CollectionDefinition AuditDefinition() => new(Audit,
    [
        Field.Extra("audit_at", "at", "date"),
        Field.Extra("audit_operatorId", "operatorId", "text"),
        Field.Extra("audit_operatorName", "operatorName", "text"),
        Field.Extra("audit_action", "action", "text"),
        Field.Extra("audit_chatId", "chatId", "text"),
        Field.Extra("audit_targetId", "targetId", "text"),
        Field.Extra("audit_detail", "detail", "text"),
    ], ["CREATE INDEX idx_audit_at ON audit (at)"], CollectionRules.AdminOnly);

    internal static CollectionDefinition CannedResponsesDefinition() => new(CannedResponses,
    [
        Field.Extra("canned_shortCode", "shortCode", "text"),
        Field.Extra("canned_content", "content", "text"),
    ], ["CREATE UNIQUE INDEX idx_canned_responses_shortCode ON canned_responses (shortCode)"], CollectionRules.ReadByUsers);

    private static JsonObject Relation(string collectionId, bool cascadeDelete) => new()
    {
        ["collectionId"] = collectionId,
        ["cascadeDelete"] = cascadeDelete,
        ["maxSelect"] = 1,
        ["minSelect"] = null,
        ["displayFields"] = null,
    };

    internal sealed record Field(string Id, string Name, string Type, bool Required, bool IsSeed, JsonObject? Options)
    {
        public static Field Seed(string id, string name, string type, bool required = false, JsonObject? options = null) =>
            new(id, name, type, required, true, options);

        public static Field Extra(string id, string name, string type) => new(id, name, type, false, false, null);

        public JsonObject ToNode() => new()
        {
            ["id"] = Id,
            ["name"] = Name,
            ["type"] = Type,
            ["required"] = Required,
            ["options"] = Options?.DeepClone() ?? new JsonObject(),
        };
    }

    /// <summary>Who may do what through PocketBase's own API; a null rule is "admins only" in 0.22.</summary>
    internal sealed record CollectionRules(string? List, string? View, string? Create, string? Update, string? Delete)
    {
        public static readonly CollectionRules Archive = new(AuthRule, AuthRule, AuthRule, AuthRule, AdminRule);
        public static readonly CollectionRules AdminOnly = new(null, null, null, null, null);
        public static readonly CollectionRules ReadByUsers = new(AuthRule, AuthRule, null, null, null);
    }

    internal sealed record CollectionDefinition(string Name, IReadOnlyList<Field> Fields, IReadOnlyList<string> Indexes, CollectionRules? Rules = null)
    {
        public JsonObject ToCreateBody()
        {
            var rules = Rules ?? CollectionRules.Archive;
            return new()
            {
                ["name"] = Name,
                ["type"] = "base",
                ["schema"] = new JsonArray([.. Fields.Select(f => (JsonNode)f.ToNode())]),
                ["indexes"] = new JsonArray([.. Indexes.Select(i => (JsonNode)JsonValue.Create(i))]),
                ["listRule"] = rules.List,
                ["viewRule"] = rules.View,
                ["createRule"] = rules.Create,
                ["updateRule"] = rules.Update,
                ["deleteRule"] = rules.Delete,
            };
        }
    }

    private sealed record Collection(string Id, JsonArray Schema, IReadOnlyList<string> Indexes)
    {
        public static Collection From(JsonObject body) => new(
            body["id"]!.GetValue<string>(),
            body["schema"] as JsonArray ?? [],
            (body["indexes"] as JsonArray)?.Select(i => i?.GetValue<string>() ?? "").ToList() ?? []);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "PocketBase: created collection {Name}")]
    private partial void LogCreated(string name);

    [LoggerMessage(Level = LogLevel.Information, Message = "PocketBase: added fields {Fields} to collection {Name}, every existing field kept with its id")]
    private partial void LogFieldsAdded(string name, string fields);

    [LoggerMessage(Level = LogLevel.Warning, Message = "PocketBase: collection {Name} differs from the seed: {Problems}; writes of those fields will fail or be ignored")]
    private partial void LogSeedMismatch(string name, string problems);

    [LoggerMessage(Level = LogLevel.Information, Message = "PocketBase: messages has no unique (chatId, platformMessageId) index; each message write looks its key up first")]
    private partial void LogNoUniqueIndex();

    [LoggerMessage(Level = LogLevel.Warning, Message = "PocketBase: messages.isIncoming is a required bool, so PocketBase refuses false and outgoing messages cannot be stored; make it optional in the PocketBase admin UI")]
    private partial void LogRequiredBool();

    [LoggerMessage(Level = LogLevel.Information, Message = "PocketBase at {Url}: collections chats, messages and media ready")]
    private partial void LogReady(Uri url);
}

/// <summary>
/// Bootstraps the schema at start without holding start-up hostage: a PocketBase that answers as 0.23+ (or
/// refuses our login) stops start-up with one line; one that is down is retried in the background while
/// grains keep accepting messages into their outboxes.
/// </summary>
public sealed partial class PocketBaseBootstrap(
    PocketBaseSchema schema,
    PocketBaseOptions options,
    TimeProvider time,
    ILogger<PocketBaseBootstrap> logger) : IHostedService, IDisposable
{
    private readonly CancellationTokenSource _stopping = new();
    private Task? _background;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            attempt.CancelAfter(options.RequestTimeout);
            await schema.EnsureAsync(attempt.Token);
        }
        catch (PocketBaseUnsupportedException ex)
        {
            throw new InvalidSettingsException([ex.Message]);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            LogUnavailable(options.BaseUrl, Describe(ex));
            _background = Task.Run(() => RetryAsync(_stopping.Token), CancellationToken.None);
        }
    }

    private async Task RetryAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested && schema.Ready is null)
        {
            try
            {
                await Task.Delay(options.BootstrapRetry, time, ct);
                await schema.EnsureAsync(ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (PocketBaseUnsupportedException ex)
            {
                // Found only now (PocketBase was down at start): say it once and keep refusing writes.
                LogUnsupported(ex.Message);
                return;
            }
            catch (Exception ex)
            {
                LogStillUnavailable(Describe(ex));
            }
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        if (_background is not null)
        {
            await _background.WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    public void Dispose() => _stopping.Dispose();

    private static string Describe(Exception ex) => ex is OperationCanceledException ? "timed out" : ex.Message;

    [LoggerMessage(Level = LogLevel.Warning, Message = "PocketBase at {Url} is not reachable ({Error}); accepting messages anyway, archive writes wait in the outbox")]
    private partial void LogUnavailable(Uri url, string error);

    [LoggerMessage(Level = LogLevel.Debug, Message = "PocketBase schema bootstrap retry failed: {Error}")]
    private partial void LogStillUnavailable(string error);

    [LoggerMessage(Level = LogLevel.Critical, Message = "{Error}")]
    private partial void LogUnsupported(string error);
}
