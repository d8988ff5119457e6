using System.Globalization;
using System.Text.Json;

namespace MessengerAutoReply.Brevo;

/// <summary>
/// What we keep of a Conversations webhook: the fields the reference documents or observed, read tolerantly
/// (much of the payload is not Brevo's own documented table, so a changed type must not break ingest).
/// </summary>
[GenerateSerializer, Immutable, Alias("MessengerAutoReply.Brevo.BrevoWebhookEvent")]
public sealed record BrevoWebhookEvent
{
    public const string ConversationStarted = "conversationStarted";
    public const string ConversationFragment = "conversationFragment";
    public const string ConversationTranscript = "conversationTranscript";

    [Id(0)] public string EventName { get; init; } = "";
    [Id(1)] public string? ConversationId { get; init; }
    [Id(2)] public BrevoVisitor? Visitor { get; init; }
    [Id(3)] public IReadOnlyList<BrevoMessage> Messages { get; init; } = [];

    public bool IsKnown => EventName is ConversationStarted or ConversationFragment or ConversationTranscript;
}

[GenerateSerializer, Immutable, Alias("MessengerAutoReply.Brevo.BrevoVisitor")]
public sealed record BrevoVisitor
{
    [Id(0)] public required string Id { get; init; }
    [Id(1)] public string? Source { get; init; }
    [Id(2)] public string? DisplayedName { get; init; }
}

[GenerateSerializer, Immutable, Alias("MessengerAutoReply.Brevo.BrevoMessage")]
public sealed record BrevoMessage
{
    [Id(0)] public required string Id { get; init; }
    [Id(1)] public string? Type { get; init; }
    [Id(2)] public string? Text { get; init; }
    /// <summary>Unix milliseconds.</summary>
    [Id(3)] public long? CreatedAt { get; init; }
    [Id(4)] public string? AgentId { get; init; }
    [Id(5)] public string? AgentName { get; init; }
    [Id(6)] public string? ReceivedFrom { get; init; }
    [Id(7)] public bool IsPushed { get; init; }
    [Id(8)] public bool IsTrigger { get; init; }
    [Id(9)] public bool IsBot { get; init; }
    [Id(10)] public IReadOnlyList<BrevoFile> Files { get; init; } = [];

    public bool IsAgent => string.Equals(Type, "agent", StringComparison.OrdinalIgnoreCase);
}

[GenerateSerializer, Immutable, Alias("MessengerAutoReply.Brevo.BrevoFile")]
public sealed record BrevoFile
{
    [Id(0)] public required string Link { get; init; }
    [Id(1)] public string? Name { get; init; }
    [Id(2)] public string? MimeType { get; init; }
    [Id(3)] public long? Size { get; init; }
    [Id(4)] public bool IsImage { get; init; }
    [Id(5)] public bool IsSticker { get; init; }
}

/// <summary>Reads a webhook body. Never throws on a JSON object: what cannot be read is left out.</summary>
public static class BrevoWebhookParser
{
    public static BrevoWebhookEvent Parse(JsonElement root)
    {
        var agentNames = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var agent in Array(root, "agents").Append(Object(root, "agent")).OfType<JsonElement>())
        {
            if (Str(agent, "id") is { } id && Str(agent, "name") is { } name)
            {
                agentNames[id] = name;
            }
        }
        var messages = new List<BrevoMessage>();
        foreach (var element in Array(root, "messages").Append(Object(root, "message")).OfType<JsonElement>())
        {
            if (ParseMessage(element, agentNames) is { } message)
            {
                messages.Add(message);
            }
        }
        var visitor = Object(root, "visitor") is { } v && Str(v, "id") is { } visitorId
            ? new BrevoVisitor { Id = visitorId, Source = Str(v, "source"), DisplayedName = Str(v, "displayedName") }
            : null;
        return new BrevoWebhookEvent
        {
            EventName = Str(root, "eventName") ?? "",
            ConversationId = Str(root, "conversationId"),
            Visitor = visitor,
            Messages = messages,
        };
    }

    private static BrevoMessage? ParseMessage(JsonElement message, Dictionary<string, string> agentNames)
    {
        if (Str(message, "id") is not { } id)
        {
            return null;
        }
        var agentId = Str(message, "agentId");
        var files = new List<BrevoFile>();
        foreach (var file in Array(message, "attachments").Prepend(Object(message, "file")).OfType<JsonElement>())
        {
            // Older SDKs spell these filename/url; accept both (reference 2.4).
            if ((Str(file, "link") ?? Str(file, "url")) is { } link && files.TrueForAll(f => f.Link != link))
            {
                files.Add(new BrevoFile
                {
                    Link = link,
                    Name = Str(file, "name") ?? Str(file, "filename"),
                    MimeType = Str(file, "mimeType"),
                    Size = Long(file, "size"),
                    IsImage = Bool(file, "isImage"),
                    IsSticker = Bool(file, "isSticker"),
                });
            }
        }
        return new BrevoMessage
        {
            Id = id,
            Type = Str(message, "type"),
            Text = Str(message, "text"),
            CreatedAt = Long(message, "createdAt"),
            AgentId = agentId,
            AgentName = Str(message, "agentName") ?? (agentId is not null ? agentNames.GetValueOrDefault(agentId) : null),
            ReceivedFrom = Str(message, "receivedFrom"),
            IsPushed = Bool(message, "isPushed"),
            IsTrigger = Bool(message, "isTrigger"),
            IsBot = Bool(message, "isBot"),
            Files = files,
        };
    }

    private static JsonElement? Object(JsonElement parent, string name) =>
        parent.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Object ? value : null;

    private static IEnumerable<JsonElement?> Array(JsonElement parent, string name) =>
        parent.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Array
            ? value.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.Object).Select(e => (JsonElement?)e)
            : [];

    private static string? Str(JsonElement parent, string name)
    {
        if (!parent.TryGetProperty(name, out var value))
        {
            return null;
        }
        var text = value.ValueKind switch
        {
            JsonValueKind.String => value.GetString(),
            JsonValueKind.Number => value.GetRawText(),
            _ => null,
        };
        return string.IsNullOrWhiteSpace(text) ? null : text;
    }

    private static long? Long(JsonElement parent, string name)
    {
        if (!parent.TryGetProperty(name, out var value))
        {
            return null;
        }
        if (value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var number))
        {
            return number;
        }
        if (value.ValueKind == JsonValueKind.String)
        {
            var raw = value.GetString();
            if (long.TryParse(raw, NumberStyles.Integer, CultureInfo.InvariantCulture, out var parsed))
            {
                return parsed;
            }
            // Documented as Unix milliseconds; tolerate an ISO date should Brevo ever send one.
            if (DateTimeOffset.TryParse(raw, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var date))
            {
                return date.ToUnixTimeMilliseconds();
            }
        }
        return null;
    }

    private static bool Bool(JsonElement parent, string name) =>
        parent.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.True;
}
