using System.Security.Cryptography;
using System.Text.Json.Nodes;

namespace MessengerAutoReply.Fakes.Brevo;

/// <summary>A message accepted by <c>POST /v3/conversations/messages</c> (or pushedMessages), in arrival order.</summary>
public sealed record SentMessage(
    string Id,
    string VisitorId,
    string Text,
    string AgentId,
    string? AgentEmail,
    string? AgentName,
    string? ReceivedFrom,
    bool IsPushed,
    IReadOnlyDictionary<string, string> Headers,
    string RawBody,
    DateTimeOffset ReceivedAt);

/// <summary>Every HTTP request that hit the fake's <c>/v3</c> API, whatever the outcome.</summary>
public sealed record RecordedRequest(
    string Method,
    string Path,
    IReadOnlyDictionary<string, string> Headers,
    string Body,
    int StatusCode,
    DateTimeOffset ReceivedAt);

/// <summary>One POST the fake (as Brevo) made to a webhook receiver.</summary>
/// <param name="StatusCode">Null when the receiver could not be reached (connection refused, timeout).</param>
public sealed record WebhookDelivery(
    string Url,
    string EventName,
    string Body,
    bool IsEcho,
    int Attempt,
    int? StatusCode,
    string? Error,
    DateTimeOffset DeliveredAt)
{
    public bool Succeeded => StatusCode is >= 200 and < 300;

    public JsonObject Payload => (JsonObject)JsonNode.Parse(Body)!;
}

/// <summary>A Brevo agent as the fake's agent table knows it (Agent object, reference §2.5).</summary>
public sealed record FakeBrevoAgent(string Id, string Name, string Email, string? Userpic = null)
{
    public JsonObject ToJson() => new()
    {
        ["id"] = Id,
        ["name"] = Name,
        ["email"] = Email,
        ["userpic"] = Userpic,
    };
}

/// <summary>
/// A visitor (one customer on one channel) with the ids Brevo would assign: <see cref="Id"/> is the
/// <c>visitorId</c> replies are sent to, <see cref="ConversationId"/> the continuing conversation.
/// </summary>
public sealed record FakeBrevoVisitor(
    string Id,
    string ConversationId,
    string ThreadId,
    string Source,
    string DisplayedName,
    string SourceChannelRef,
    string SourceConversationRef,
    string Language = "fr")
{
    /// <summary>The full Visitor object as in reference §5.1. Channel-specific values are [UNVERIFIED].</summary>
    public JsonObject ToJson(bool forTranscript = false)
    {
        var visitor = new JsonObject
        {
            ["id"] = Id,
            ["threadId"] = ThreadId,
            ["threadLink"] = $"https://conversations-app.brevo.com/conversations/{ThreadId}",
            ["source"] = Source,
            ["sourceChannelRef"] = SourceChannelRef,
            ["sourceChannelLink"] = SourceChannelLink(),
            ["sourceConversationRef"] = SourceConversationRef,
            ["displayedName"] = DisplayedName,
            ["groupId"] = null,
            ["color"] = "#7cb342",
            ["ip"] = null,
            ["browserLanguage"] = Language,
            ["conversationLanguage"] = Language,
            ["browser"] = "",
            ["os"] = "",
            ["userAgent"] = "",
            ["country"] = "",
            ["city"] = "",
            ["lastVisit"] = null,
            ["contactAttributes"] = new JsonObject(),
            ["integrationAttributes"] = new JsonObject(),
            ["attributes"] = new JsonObject(),
            ["formattedAttributes"] = new JsonObject(),
            ["notes"] = null,
            ["contactId"] = null,
            ["marketingConsent"] = false,
            ["termsOfServiceConsent"] = false,
        };
        if (forTranscript)
        {
            visitor["isBanned"] = false;
        }

        return visitor;
    }

    private string? SourceChannelLink() => Source switch
    {
        "instagram" => "https://www.instagram.com/acme.shop",
        "facebook" => "https://www.facebook.com/acme.shop",
        "whatsapp" => "https://wa.me/33100000000",
        _ => null,
    };
}

/// <summary>A file the fake serves from its own loopback server, standing in for Brevo's CDN link.</summary>
public sealed record FakeBrevoFile(
    string Name,
    string MimeType,
    long Size,
    string Link,
    bool IsImage,
    int? Width,
    int? Height);

/// <summary>Brevo-style ids: 17-char Meteor-style ids for messages/conversations/agents, 32 chars for visitors.</summary>
public static class BrevoIds
{
    private const string Alphabet = "23456789ABCDEFGHJKLMNPQRSTWXYZabcdefghijkmnopqrstuvwxyz";

    public static string NewId(int length = 17) => RandomNumberGenerator.GetString(Alphabet, length);

    public static string NewVisitorId() =>
        RandomNumberGenerator.GetString("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 32);

    public static string NewNumericRef(int length = 16) => RandomNumberGenerator.GetString("0123456789", length);
}
