using System.Net;
using System.Text;
using System.Text.Json.Nodes;

namespace MessengerAutoReply.Fakes.Brevo;

// Brevo → service side: payload builders in the shapes of reference §5.1–5.4, delivery, echo, served files.
public sealed partial class FakeBrevoServer
{
    /// <summary>
    /// A new visitor on <paramref name="source"/> (reference §2.6: "instagram" is seen in the wild; "facebook",
    /// "whatsapp", "widget" … are [UNVERIFIED] spellings). Registered so sends to its id are accepted.
    /// </summary>
    public FakeBrevoVisitor CreateVisitor(string source = "instagram", string displayedName = "Maria K", string? visitorId = null)
    {
        var visitor = new FakeBrevoVisitor(
            visitorId ?? BrevoIds.NewVisitorId(),
            BrevoIds.NewId(),
            BrevoIds.NewId(),
            source,
            displayedName,
            BrevoIds.NewNumericRef(17),
            BrevoIds.NewNumericRef(16));
        lock (_gate)
        {
            return RegisterVisitorLocked(visitor);
        }
    }

    /// <summary>
    /// A visitor id the integrator generated and bound through the widget's user identification: Brevo knows it
    /// without any webhook having named it.
    /// </summary>
    public FakeBrevoVisitor BindVisitor(string visitorId, string displayedName = "Visitor") =>
        CreateVisitor(source: "widget", displayedName: displayedName, visitorId: visitorId);

    /// <summary>Serve <paramref name="bytes"/> from this fake at a loopback URL usable as a File <c>link</c>.</summary>
    public FakeBrevoFile RegisterFile(byte[] bytes, string mimeType, string fileName, int? width = null, int? height = null)
    {
        var fileId = Guid.NewGuid().ToString();
        var isImage = mimeType.StartsWith("image/", StringComparison.OrdinalIgnoreCase);
        lock (_gate)
        {
            _files[fileId] = new StoredFile(fileName, mimeType, bytes);
        }

        return new FakeBrevoFile(fileName, mimeType, bytes.Length,
            $"{BaseUrl}/files/{fileId}/{Uri.EscapeDataString(fileName)}",
            isImage, isImage ? width ?? 1080 : null, isImage ? height ?? 1350 : null);
    }

    /// <summary>A visitor text Message (§5.1). Mutate the result to set isPushed/isTrigger/isBot etc.</summary>
    public JsonObject NewVisitorTextMessage(string text, long? createdAt = null, string? id = null) => new()
    {
        ["id"] = id ?? BrevoIds.NewId(),
        ["type"] = "visitor",
        ["text"] = text,
        ["html"] = WebUtility.HtmlEncode(text),
        ["createdAt"] = createdAt ?? NowMs(),
        ["sourceMessageId"] = NewSourceMessageId(),
    };

    /// <summary>
    /// A visitor file Message (§5.2): <c>text</c> is the file name. <paramref name="legacySpelling"/> emits the
    /// older SDK names (<c>filename</c>, <c>url</c>, <c>imageInfo.previewUrl</c>) instead of the current ones.
    /// </summary>
    public JsonObject NewVisitorFileMessage(FakeBrevoFile file, bool legacySpelling = false, long? createdAt = null)
    {
        var fileJson = new JsonObject
        {
            [legacySpelling ? "filename" : "name"] = file.Name,
            [legacySpelling ? "url" : "link"] = file.Link,
            ["mimeType"] = file.MimeType,
            ["size"] = file.Size,
            ["isImage"] = file.IsImage,
            ["isSticker"] = false,
            ["isAllowedFileType"] = true,
        };
        if (file.IsImage)
        {
            fileJson["imageInfo"] = new JsonObject
            {
                ["width"] = file.Width,
                ["height"] = file.Height,
                [legacySpelling ? "previewUrl" : "previewLink"] = file.Link, // preview host [UNVERIFIED]
            };
        }

        return new JsonObject
        {
            ["id"] = BrevoIds.NewId(),
            ["type"] = "visitor",
            ["text"] = file.Name,
            ["html"] = WebUtility.HtmlEncode(file.Name),
            ["createdAt"] = createdAt ?? NowMs(),
            ["sourceMessageId"] = NewSourceMessageId(),
            ["file"] = fileJson,
        };
    }

    /// <summary>An agent Message (§5.3). Defaults to <see cref="HumanAgent"/> without receivedFrom (an operator).</summary>
    public JsonObject NewAgentMessage(string text, FakeBrevoAgent? agent = null, string? receivedFrom = null, long? createdAt = null)
    {
        agent ??= HumanAgent;
        var message = new JsonObject
        {
            ["id"] = BrevoIds.NewId(),
            ["type"] = "agent",
            ["text"] = text,
            ["html"] = WebUtility.HtmlEncode(text),
            ["createdAt"] = createdAt ?? NowMs(),
            ["agentId"] = agent.Id,
            ["agentName"] = agent.Name,
        };
        if (agent.Userpic is not null)
        {
            message["agentUserpic"] = agent.Userpic;
        }

        if (receivedFrom is not null)
        {
            message["receivedFrom"] = receivedFrom;
        }

        message["isPushed"] = false;
        return message;
    }

    /// <summary>
    /// <c>conversationFragment</c> carrying <paramref name="messages"/> in the given order (cloned), <c>agents[]</c>
    /// for the agents who wrote any of them, and the full visitor object.
    /// </summary>
    public JsonObject BuildFragment(FakeBrevoVisitor visitor, params JsonObject[] messages) => new()
    {
        ["eventName"] = "conversationFragment",
        ["conversationId"] = visitor.ConversationId,
        ["messages"] = CloneAll(messages),
        ["agents"] = AgentsOf(messages),
        ["visitor"] = visitor.ToJson(),
        ["isNoAvailableAgent"] = !messages.Any(m => (string?)m["type"] == "agent"),
    };

    public JsonObject BuildVisitorTextFragment(FakeBrevoVisitor visitor, string text) =>
        BuildFragment(visitor, NewVisitorTextMessage(text));

    /// <summary>Registers the bytes as a served file and wraps a visitor file message in a fragment.</summary>
    public JsonObject BuildVisitorFileFragment(
        FakeBrevoVisitor visitor, byte[] bytes, string mimeType, string fileName, bool legacySpelling = false) =>
        BuildFragment(visitor, NewVisitorFileMessage(RegisterFile(bytes, mimeType, fileName), legacySpelling));

    /// <summary>A human operator answering in Brevo's inbox (no receivedFrom).</summary>
    public JsonObject BuildHumanAgentFragment(FakeBrevoVisitor visitor, string text, FakeBrevoAgent? agent = null) =>
        BuildFragment(visitor, NewAgentMessage(text, agent ?? HumanAgent));

    /// <summary><c>conversationStarted</c> (§5.4). <c>agent</c> is omitted unless the first message is an agent's.</summary>
    public JsonObject BuildConversationStarted(FakeBrevoVisitor visitor, JsonObject firstMessage)
    {
        var payload = new JsonObject
        {
            ["eventName"] = "conversationStarted",
            ["conversationId"] = visitor.ConversationId,
            ["message"] = firstMessage.DeepClone(),
        };
        if ((string?)firstMessage["type"] == "agent" && AgentsOf([firstMessage]) is [JsonObject agent, ..])
        {
            payload["agent"] = agent.DeepClone();
        }

        payload["visitor"] = visitor.ToJson();
        if (visitor.Source == "widget")
        {
            payload["conversationStartPage"] = new JsonObject
            {
                ["link"] = "https://acme.example/shop",
                ["title"] = "Acme shop",
            };
        }

        payload["isNoAvailableAgent"] = (string?)firstMessage["type"] != "agent";
        return payload;
    }

    public JsonObject BuildConversationStarted(FakeBrevoVisitor visitor, string text) =>
        BuildConversationStarted(visitor, NewVisitorTextMessage(text));

    /// <summary>
    /// <c>conversationTranscript</c>: every message of the visitor's conversation the fake knows (delivered via
    /// webhooks or sent through the API), ordered by <c>createdAt</c>. Trigger timing is [UNVERIFIED].
    /// </summary>
    public JsonObject BuildTranscript(FakeBrevoVisitor visitor)
    {
        JsonObject[] messages;
        lock (_gate)
        {
            messages = _conversationMessageIds.TryGetValue(visitor.Id, out var ids)
                ? [.. ids.Select(id => _messages[id]).OrderBy(m => m.CreatedAt).Select(m => WebhookCopy(m.Message))]
                : [];
        }

        var payload = new JsonObject
        {
            ["eventName"] = "conversationTranscript",
            ["conversationId"] = visitor.ConversationId,
        };
        if (visitor.Source == "widget")
        {
            payload["conversationStartPage"] = new JsonObject { ["link"] = "https://acme.example/shop", ["title"] = "Acme shop" };
        }

        payload["messages"] = CloneAll(messages);
        payload["missedMessagesCount"] = 0;
        payload["agents"] = AgentsOf(messages);
        payload["visitor"] = visitor.ToJson(forTranscript: true);
        return payload;
    }

    /// <summary>An event name Brevo might add later; receivers must 2xx and ignore it.</summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Performance", "CA1822", Justification = "Kept beside the other builders on the instance.")]
    public JsonObject BuildUnknownEvent(FakeBrevoVisitor visitor, string eventName = "conversationRated") => new()
    {
        ["eventName"] = eventName,
        ["conversationId"] = visitor.ConversationId,
        ["visitor"] = visitor.ToJson(),
    };

    /// <summary>
    /// POST <paramref name="payload"/> to <paramref name="url"/> (default <see cref="WebhookUrl"/>) as Brevo does:
    /// JSON body, no signature. Returns the receiver's status; throws HttpRequestException when unreachable.
    /// Posting the same payload again is a redelivery (same message ids).
    /// </summary>
    public Task<int> DeliverAsync(JsonNode payload, string? url = null, CancellationToken cancellationToken = default)
    {
        RememberDeliveredMessages(payload);
        return DeliverRawAsync(payload.ToJsonString(WireJson), url, cancellationToken);
    }

    /// <summary>POST an arbitrary body (e.g. malformed JSON) to the webhook URL.</summary>
    public async Task<int> DeliverRawAsync(string body, string? url = null, CancellationToken cancellationToken = default)
    {
        var target = url ?? WebhookUrl ?? throw new InvalidOperationException("FakeBrevoServer.WebhookUrl is not set");
        var (status, error) = await PostWithRedeliveryAsync(target, body, EventNameOf(body), isEcho: false, cancellationToken);
        return status ?? throw new HttpRequestException($"Webhook receiver {target} unreachable: {error}");
    }

    /// <summary>Post exactly the same bytes of an earlier delivery again.</summary>
    public Task<int> RedeliverAsync(WebhookDelivery delivery, CancellationToken cancellationToken = default) =>
        DeliverRawAsync(delivery.Body, delivery.Url, cancellationToken);

    private FakeBrevoVisitor RegisterVisitorLocked(FakeBrevoVisitor visitor)
    {
        _visitors[visitor.Id] = visitor;
        return visitor;
    }

    private void RememberDeliveredMessages(JsonNode payload)
    {
        if (payload["visitor"]?["id"]?.GetValue<string>() is not { } visitorId)
        {
            return;
        }

        lock (_gate)
        {
            var messages = payload["messages"] is JsonArray array ? array.OfType<JsonObject>() : [];
            if (payload["message"] is JsonObject single)
            {
                messages = messages.Append(single);
            }

            foreach (var message in messages)
            {
                if (message["id"]?.GetValue<string>() is not null)
                {
                    StoreMessageLocked((JsonObject)message.DeepClone(), visitorId);
                }
            }
        }
    }

    private void ScheduleEcho(JsonObject echo)
    {
        var url = WebhookUrl;
        if (url is null)
        {
            return;
        }

        var body = echo.ToJsonString(WireJson);
        var delay = EchoDelay;
        var token = _stopping.Token;
        lock (_gate)
        {
            _background.RemoveAll(t => t.IsCompleted);
            _background.Add(Task.Run(async () =>
            {
                await Task.Delay(delay, TimeProvider, token);
                await PostWithRedeliveryAsync(url, body, "conversationFragment", isEcho: true, token);
            }, token));
        }
    }

    private async Task<(int? Status, string? Error)> PostWithRedeliveryAsync(
        string url, string body, string eventName, bool isEcho, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            int? status = null;
            string? error = null;
            try
            {
                using var content = new StringContent(body, Encoding.UTF8, "application/json");
                using var response = await _webhookClient.PostAsync(url, content, cancellationToken);
                status = (int)response.StatusCode;
            }
            catch (HttpRequestException ex)
            {
                error = ex.Message;
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                error = "timed out after " + WebhookTimeout;
            }

            lock (_gate)
            {
                _deliveries.Add(new WebhookDelivery(url, eventName, body, isEcho, attempt, status, error, TimeProvider.GetUtcNow()));
                SignalLocked();
            }

            if (status is >= 200 and < 300 || !RedeliverOnFailure || attempt > MaxRedeliveries)
            {
                return (status, error);
            }

            await Task.Delay(RedeliveryDelay, TimeProvider, cancellationToken);
        }
    }

    private JsonArray AgentsOf(IEnumerable<JsonObject> messages)
    {
        var agents = new JsonArray();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        lock (_gate)
        {
            foreach (var message in messages)
            {
                if ((string?)message["type"] == "agent" && message["agentId"]?.GetValue<string>() is { } agentId
                    && seen.Add(agentId))
                {
                    agents.Add(_agents.TryGetValue(agentId, out var agent)
                        ? agent.ToJson()
                        : new JsonObject { ["id"] = agentId, ["name"] = (string?)message["agentName"], ["email"] = null, ["userpic"] = null });
                }
            }
        }

        return agents;
    }

    private static JsonArray CloneAll(IEnumerable<JsonObject> messages) => [.. messages.Select(m => m.DeepClone())];

    private static JsonObject WebhookCopy(JsonObject message)
    {
        var copy = (JsonObject)message.DeepClone();
        copy.Remove("visitorId");
        return copy;
    }

    private static string EventNameOf(string body)
    {
        try
        {
            return JsonNode.Parse(body)?["eventName"]?.GetValue<string>() ?? "";
        }
        catch (Exception)
        {
            return "";
        }
    }

    private long NowMs() => TimeProvider.GetUtcNow().ToUnixTimeMilliseconds();

    // Instagram message ids (mids) are opaque base64-ish strings; the value only has to look plausible.
    private static string NewSourceMessageId() => "aWdfZAG1faXRlbTox" + BrevoIds.NewNumericRef(12);
}
