using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace MessengerAutoReply.Fakes.OpenAI;

public sealed partial class FakeOpenAIServer
{
    private const int MaxItemsPerCall = 20;
    private const int MaxMetadataPairs = 16;

    private readonly ConcurrentDictionary<string, ConversationState> _conversations = new(StringComparer.Ordinal);

    // ---------------------------------------------------------------- test-side helpers

    /// <summary>Creates a conversation directly (as if the service had created it earlier). Returns its <c>conv_…</c> id.</summary>
    public string AddConversation(IReadOnlyDictionary<string, string>? metadata = null, IEnumerable<FakeMessage>? messages = null)
    {
        var conv = new ConversationState(OpenAIWire.NewId("conv_"), OpenAIWire.UnixNow());
        foreach (var (k, v) in metadata ?? new Dictionary<string, string>())
        {
            conv.Metadata[k] = v;
        }
        foreach (var m in messages ?? [])
        {
            var partType = m.Role == "assistant" ? "output_text" : "input_text";
            var item = NormalizeItem(new JsonObject { ["role"] = m.Role, ["content"] = new JsonArray(new JsonObject { ["type"] = partType, ["text"] = m.Text }) }, out _)!;
            conv.Items.Add(item);
        }
        _conversations[conv.Id] = conv;
        NotifyChanged();
        return conv.Id;
    }

    public IReadOnlyList<string> ConversationIds => [.. _conversations.Values.Where(c => !c.Deleted).OrderBy(c => c.Seq).Select(c => c.Id)];

    public bool ConversationExists(string conversationId) => _conversations.TryGetValue(conversationId, out var c) && !c.Deleted;

    public IReadOnlyDictionary<string, string> GetConversationMetadata(string conversationId)
    {
        var c = GetStateOrThrow(conversationId);
        lock (c)
        {
            return OpenAIWire.GetStringMap(c.Metadata);
        }
    }

    /// <summary>The conversation's items, oldest first.</summary>
    public IReadOnlyList<FakeConversationItem> GetConversationItems(string conversationId)
    {
        var c = GetStateOrThrow(conversationId);
        lock (c)
        {
            return [.. c.Items.Select(ToView)];
        }
    }

    private ConversationState GetStateOrThrow(string id) =>
        _conversations.TryGetValue(id, out var c) ? c : throw new KeyNotFoundException($"No conversation {id} in the fake.");

    private static FakeConversationItem ToView(JsonObject item) => new(
        OpenAIWire.GetString(item["id"]) ?? "",
        OpenAIWire.GetString(item["type"]) ?? "message",
        OpenAIWire.GetString(item["role"]),
        OpenAIWire.GetString(item["status"]),
        ItemText(item),
        (JsonObject)item.DeepClone());

    // ---------------------------------------------------------------- routes

    private async Task CreateConversationAsync(HttpContext ctx, JsonObject body)
    {
        await DelayAsync(ConversationLatency, ctx);
        if (ValidateMetadata(body["metadata"]) is { } metaError)
        {
            await OpenAIWire.WriteErrorAsync(ctx, 400, metaError, OpenAIWire.InvalidRequest, "metadata", null);
            return;
        }
        var items = new List<JsonObject>();
        if (body["items"] is { } itemsNode)
        {
            if (await ParseItemsAsync(ctx, itemsNode, "items") is not { } parsed)
            {
                return;
            }
            items = parsed;
        }
        var conv = new ConversationState(OpenAIWire.NewId("conv_"), OpenAIWire.UnixNow());
        foreach (var (k, v) in OpenAIWire.GetStringMap(body["metadata"]))
        {
            conv.Metadata[k] = v;
        }
        conv.Items.AddRange(items);
        _conversations[conv.Id] = conv;
        await OpenAIWire.WriteJsonAsync(ctx, 200, ConversationJson(conv));
    }

    private async Task GetConversationAsync(HttpContext ctx, string id)
    {
        await DelayAsync(ConversationLatency, ctx);
        if (await FindConversationAsync(ctx, id) is { } conv)
        {
            await OpenAIWire.WriteJsonAsync(ctx, 200, ConversationJson(conv));
        }
    }

    private async Task UpdateConversationAsync(HttpContext ctx, string id, JsonObject body)
    {
        await DelayAsync(ConversationLatency, ctx);
        if (await FindConversationAsync(ctx, id) is not { } conv)
        {
            return;
        }
        if (body["metadata"] is not JsonObject)
        {
            await WriteMissingParameterAsync(ctx, "metadata");
            return;
        }
        if (ValidateMetadata(body["metadata"]) is { } metaError)
        {
            await OpenAIWire.WriteErrorAsync(ctx, 400, metaError, OpenAIWire.InvalidRequest, "metadata", null);
            return;
        }
        lock (conv)
        {
            conv.Metadata.Clear();
            foreach (var (k, v) in OpenAIWire.GetStringMap(body["metadata"]))
            {
                conv.Metadata[k] = v;
            }
        }
        await OpenAIWire.WriteJsonAsync(ctx, 200, ConversationJson(conv));
    }

    private async Task DeleteConversationAsync(HttpContext ctx, string id)
    {
        await DelayAsync(ConversationLatency, ctx);
        if (await FindConversationAsync(ctx, id) is not { } conv)
        {
            return;
        }
        conv.Deleted = true;
        await OpenAIWire.WriteJsonAsync(ctx, 200, new JsonObject { ["id"] = conv.Id, ["object"] = "conversation.deleted", ["deleted"] = true });
    }

    private async Task ListConversationItemsAsync(HttpContext ctx, string id)
    {
        await DelayAsync(ConversationLatency, ctx);
        if (await FindConversationAsync(ctx, id) is not { } conv)
        {
            return;
        }
        var q = ctx.Request.Query;
        var limit = 20;
        if (q["limit"].ToString() is { Length: > 0 } limitText)
        {
            if (!int.TryParse(limitText, NumberStyles.Integer, CultureInfo.InvariantCulture, out limit) || limit < 1 || limit > 100)
            {
                await OpenAIWire.WriteErrorAsync(ctx, 400,
                    $"Invalid 'limit': integer out of range. Expected a value between 1 and 100, but got {limitText} instead.",
                    OpenAIWire.InvalidRequest, "limit", "integer_out_of_range");
                return;
            }
        }
        var order = q["order"].ToString() is { Length: > 0 } o ? o : "desc";
        if (order is not ("asc" or "desc"))
        {
            await OpenAIWire.WriteErrorAsync(ctx, 400,
                $"Invalid value: '{order}'. Supported values are: 'asc' and 'desc'.", OpenAIWire.InvalidRequest, "order", "invalid_value");
            return;
        }
        var after = q["after"].ToString();

        List<JsonObject> all;
        lock (conv)
        {
            all = [.. conv.Items.Select(i => (JsonObject)i.DeepClone())];
        }
        if (order == "desc")
        {
            all.Reverse();
        }
        var start = 0;
        if (after.Length > 0)
        {
            var idx = all.FindIndex(i => OpenAIWire.GetString(i["id"]) == after);
            start = idx < 0 ? all.Count : idx + 1;
        }
        var page = all.Skip(start).Take(limit).ToList();
        var hasMore = start + page.Count < all.Count;
        await OpenAIWire.WriteJsonAsync(ctx, 200, ItemList(page, hasMore));
    }

    private async Task AddConversationItemsAsync(HttpContext ctx, string id, JsonObject body)
    {
        await DelayAsync(ConversationLatency, ctx);
        if (await FindConversationAsync(ctx, id) is not { } conv)
        {
            return;
        }
        if (body["items"] is not { } itemsNode)
        {
            await WriteMissingParameterAsync(ctx, "items");
            return;
        }
        if (await ParseItemsAsync(ctx, itemsNode, "items") is not { } items)
        {
            return;
        }
        lock (conv)
        {
            conv.Items.AddRange(items);
        }
        NotifyChanged();
        await OpenAIWire.WriteJsonAsync(ctx, 200, ItemList([.. items.Select(i => (JsonObject)i.DeepClone())], false));
    }

    private async Task GetConversationItemAsync(HttpContext ctx, string id, string itemId)
    {
        await DelayAsync(ConversationLatency, ctx);
        if (await FindConversationAsync(ctx, id) is not { } conv)
        {
            return;
        }
        JsonObject? item;
        lock (conv)
        {
            item = conv.Items.FirstOrDefault(i => OpenAIWire.GetString(i["id"]) == itemId)?.DeepClone() as JsonObject;
        }
        if (item is null)
        {
            await OpenAIWire.WriteErrorAsync(ctx, 404, $"Item with id '{itemId}' not found.", OpenAIWire.InvalidRequest, null, null);
            return;
        }
        await OpenAIWire.WriteJsonAsync(ctx, 200, item);
    }

    // ---------------------------------------------------------------- helpers

    private async Task<ConversationState?> FindConversationAsync(HttpContext ctx, string id, string? param = null)
    {
        if (_conversations.TryGetValue(id, out var conv) && !conv.Deleted)
        {
            return conv;
        }
        // Exact body for an unknown id is not documented (reference §10); this follows the usual error shape.
        await OpenAIWire.WriteErrorAsync(ctx, 404, $"Conversation with id '{id}' not found.", OpenAIWire.InvalidRequest, param, null);
        return null;
    }

    private static JsonObject ConversationJson(ConversationState conv)
    {
        lock (conv)
        {
            return new JsonObject
            {
                ["id"] = conv.Id,
                ["object"] = "conversation",
                ["created_at"] = conv.CreatedAt,
                ["metadata"] = conv.Metadata.DeepClone(),
            };
        }
    }

    private static JsonObject ItemList(List<JsonObject> items, bool hasMore) => new()
    {
        ["object"] = "list",
        ["data"] = new JsonArray([.. items]),
        ["first_id"] = items.Count > 0 ? OpenAIWire.GetString(items[0]["id"]) : null,
        ["last_id"] = items.Count > 0 ? OpenAIWire.GetString(items[^1]["id"]) : null,
        ["has_more"] = hasMore,
    };

    private static string? ValidateMetadata(JsonNode? node)
    {
        if (node is null)
        {
            return null;
        }
        if (node is not JsonObject o)
        {
            return "Invalid type for 'metadata': expected an object.";
        }
        if (o.Count > MaxMetadataPairs)
        {
            return $"Invalid 'metadata': too many properties. Expected an object with at most {MaxMetadataPairs} properties, but got an object with {o.Count} properties instead.";
        }
        foreach (var (k, v) in o)
        {
            if (k.Length > 64)
            {
                return $"Invalid 'metadata': string too long. Expected a string with maximum length 64, but got a string with length {k.Length} instead.";
            }
            if (OpenAIWire.GetString(v) is not { } s)
            {
                return $"Invalid type for 'metadata.{k}': expected a string.";
            }
            if (s.Length > 512)
            {
                return $"Invalid 'metadata.{k}': string too long. Expected a string with maximum length 512, but got a string with length {s.Length} instead.";
            }
        }
        return null;
    }

    /// <summary>Parses an <c>items</c> array (max 20) or writes the 400 and returns null.</summary>
    private static async Task<List<JsonObject>?> ParseItemsAsync(HttpContext ctx, JsonNode itemsNode, string param)
    {
        if (itemsNode is not JsonArray arr)
        {
            await OpenAIWire.WriteErrorAsync(ctx, 400, $"Invalid type for '{param}': expected an array of items.", OpenAIWire.InvalidRequest, param, "invalid_type");
            return null;
        }
        if (arr.Count > MaxItemsPerCall)
        {
            await OpenAIWire.WriteErrorAsync(ctx, 400,
                $"Invalid '{param}': array too long. Expected an array with maximum length {MaxItemsPerCall}, but got an array with length {arr.Count} instead.",
                OpenAIWire.InvalidRequest, param, "array_above_max_length");
            return null;
        }
        var items = new List<JsonObject>();
        for (var i = 0; i < arr.Count; i++)
        {
            var item = NormalizeItem(arr[i], out var error);
            if (item is null)
            {
                await OpenAIWire.WriteErrorAsync(ctx, 400, error!, OpenAIWire.InvalidRequest, $"{param}[{i}]", "invalid_value");
                return null;
            }
            items.Add(item);
        }
        return items;
    }

    private static readonly HashSet<string> Roles = ["user", "assistant", "system", "developer"];
    private static readonly HashSet<string> PartTypes = ["input_text", "input_image", "input_file", "input_audio", "output_text", "refusal"];

    /// <summary>
    /// Turns an input item (long or short form) into the stored item shape: id, type, status, role, content parts.
    /// </summary>
    internal static JsonObject? NormalizeItem(JsonNode? node, out string? error)
    {
        error = null;
        if (node is not JsonObject src)
        {
            error = "Invalid input item: expected an object.";
            return null;
        }
        var type = OpenAIWire.GetString(src["type"]);
        if (type is null or "message")
        {
            var role = OpenAIWire.GetString(src["role"]);
            if (role is null || !Roles.Contains(role))
            {
                error = $"Invalid value: '{role}'. Supported values are: 'user', 'assistant', 'system', and 'developer'.";
                return null;
            }
            var content = new JsonArray();
            switch (src["content"])
            {
                case JsonValue v when OpenAIWire.GetString(v) is { } text:
                    content.Add(role == "assistant"
                        ? new JsonObject { ["type"] = "output_text", ["text"] = text, ["annotations"] = new JsonArray() }
                        : new JsonObject { ["type"] = "input_text", ["text"] = text });
                    break;
                case JsonArray parts:
                    foreach (var p in parts)
                    {
                        if (p is not JsonObject po || OpenAIWire.GetString(po["type"]) is not { } pt || !PartTypes.Contains(pt))
                        {
                            error = "Invalid content part: expected one of " + string.Join(", ", PartTypes.Order(StringComparer.Ordinal)) + ".";
                            return null;
                        }
                        if (pt == "input_image" && po["image_url"] is null && po["file_id"] is null)
                        {
                            error = "Invalid input_image: one of 'image_url' or 'file_id' must be provided.";
                            return null;
                        }
                        var clone = (JsonObject)po.DeepClone();
                        if (pt == "output_text" && clone["annotations"] is null)
                        {
                            clone["annotations"] = new JsonArray();
                        }
                        content.Add(clone);
                    }
                    break;
                default:
                    error = "Invalid 'content': expected a string or an array of content parts.";
                    return null;
            }
            return new JsonObject
            {
                ["id"] = OpenAIWire.GetString(src["id"]) ?? OpenAIWire.NewId("msg_"),
                ["type"] = "message",
                ["status"] = OpenAIWire.GetString(src["status"]) ?? "completed",
                ["role"] = role,
                ["content"] = content,
            };
        }
        var other = (JsonObject)src.DeepClone();
        other["id"] ??= OpenAIWire.NewId(type switch
        {
            "function_call" => "fc_",
            "file_search_call" => "fs_",
            "reasoning" => "rs_",
            _ => "item_",
        });
        return other;
    }

    /// <summary>Plain text of a message item: its text parts joined by a newline.</summary>
    internal static string ItemText(JsonObject item) =>
        item["content"] is JsonArray parts
            ? string.Join("\n", parts.OfType<JsonObject>()
                .Where(p => OpenAIWire.GetString(p["type"]) is "input_text" or "output_text" or "text")
                .Select(p => OpenAIWire.GetString(p["text"]) ?? ""))
            : "";

    private static long _convSeq;

    private sealed class ConversationState(string id, long createdAt)
    {
        public string Id { get; } = id;
        public long Seq { get; } = Interlocked.Increment(ref _convSeq);
        public long CreatedAt { get; } = createdAt;
        public JsonObject Metadata { get; } = [];
        public List<JsonObject> Items { get; } = [];
        /// <summary>Accepted responses currently running (guarded by lock(this)).</summary>
        public int InFlight { get; set; }
        private int _runCount;
        public int RunCount => Volatile.Read(ref _runCount);
        public void IncrementRuns() => Interlocked.Increment(ref _runCount);
        private volatile bool _deleted;
        public bool Deleted { get => _deleted; set => _deleted = value; }
    }
}
