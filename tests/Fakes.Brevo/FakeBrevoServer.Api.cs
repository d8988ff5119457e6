using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace MessengerAutoReply.Fakes.Brevo;

// The /v3 REST side: auth, rate limit, validation and the Conversations message endpoints (reference §1, §3, §6).
public sealed partial class FakeBrevoServer
{
    private const string MessagesPath = "/conversations/messages";
    private const string PushedPath = "/conversations/pushedMessages";
    private const string PingPath = "/conversations/agentOnlinePing";

    private async Task HandleApiAsync(HttpContext context)
    {
        string body;
        using (var reader = new StreamReader(context.Request.Body, Encoding.UTF8))
        {
            body = await reader.ReadToEndAsync(context.RequestAborted);
        }

        var request = context.Request;
        var path = request.Path.Value!["/v3".Length..];
        var headers = request.Headers.ToDictionary(
            h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
        var now = TimeProvider.GetUtcNow();

        ApiResult result;
        lock (_gate)
        {
            result = ProcessLocked(request.Method, path, headers, body, now);
            _requests.Add(new RecordedRequest(request.Method, request.Path.Value!, headers, body, result.Status, now));
            SignalLocked();
        }

        if (result.Echo is { } echo)
        {
            ScheduleEcho(echo);
        }

        var response = context.Response;
        response.StatusCode = result.Status;
        response.Headers["sib-request-id"] = Guid.NewGuid().ToString();
        if (result.RateHeaders is { } rate)
        {
            response.Headers["x-sib-ratelimit-limit"] = rate.Limit.ToString(System.Globalization.CultureInfo.InvariantCulture);
            response.Headers["x-sib-ratelimit-remaining"] = rate.Remaining.ToString(System.Globalization.CultureInfo.InvariantCulture);
            response.Headers["x-sib-ratelimit-reset"] = rate.Reset.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        if (result.Status is >= 200 and < 300 && TakeGarbled())
        {
            // Done (the message is stored and echoed), but the answer breaks off: the client cannot read it.
            var bytes = Encoding.UTF8.GetBytes(result.Body ?? "{}");
            response.ContentType = "application/json";
            response.ContentLength = bytes.Length + 64;
            await response.Body.WriteAsync(bytes.AsMemory(0, bytes.Length / 2), context.RequestAborted);
            await response.Body.FlushAsync(context.RequestAborted);
            // The status line and headers reach the client before the connection drops.
            await Task.Delay(100, context.RequestAborted);
            context.Abort();
            return;
        }

        if (result.Body is not null)
        {
            response.ContentType = result.ContentType;
            await response.WriteAsync(result.Body, context.RequestAborted);
        }
    }

    private ApiResult ProcessLocked(
        string method, string path, Dictionary<string, string> headers, string body, DateTimeOffset now)
    {
        if (_failures.TryDequeue(out var failure))
        {
            return Injected(failure);
        }

        // Only the api-key header counts; "Authorization: Bearer" is not Brevo's scheme and must not pass.
        if (!headers.TryGetValue("api-key", out var key) || string.IsNullOrEmpty(key))
        {
            return Unauthorized("authentication not found in headers");
        }

        if (!string.Equals(key, ApiKey, StringComparison.Ordinal))
        {
            return Unauthorized("Key not found");
        }

        if (SimulateUnrecognisedIp)
        {
            // Wording beyond "unrecognised IP address" is [UNVERIFIED].
            return Unauthorized("Unable to authenticate: unrecognised IP address 127.0.0.1");
        }

        RateHeaders? rate = null;
        if (RateLimitPerWindow is int limit)
        {
            if (now - _windowStart >= RateWindow)
            {
                _windowStart = now;
                _windowCount = 0;
            }

            var reset = (int)Math.Ceiling((_windowStart + RateWindow - now).TotalSeconds);
            if (_windowCount >= limit)
            {
                _tooManyRequests++;
                return Error(429, "too_many_requests", "Too many requests") with
                {
                    RateHeaders = new RateHeaders(limit, 0, Math.Max(reset, 1)),
                };
            }

            _windowCount++;
            rate = new RateHeaders(limit, limit - _windowCount, Math.Max(reset, 1));
        }

        return RouteLocked(method, path, body, headers, now) with { RateHeaders = rate };
    }

    private ApiResult RouteLocked(
        string method, string path, string body, Dictionary<string, string> headers, DateTimeOffset now)
    {
        var trimmed = path.TrimEnd('/');
        if (trimmed is MessagesPath or PushedPath)
        {
            return method == HttpMethods.Post
                ? SendLocked(body, headers, pushed: trimmed == PushedPath, now)
                : MethodNotAllowed();
        }

        if (trimmed == PingPath)
        {
            return method == HttpMethods.Post ? PingLocked(body) : MethodNotAllowed();
        }

        foreach (var prefix in new[] { MessagesPath + "/", PushedPath + "/" })
        {
            if (trimmed.StartsWith(prefix, StringComparison.Ordinal) && trimmed.Length > prefix.Length)
            {
                var id = Uri.UnescapeDataString(trimmed[prefix.Length..]);
                return method switch
                {
                    "GET" => GetMessageLocked(id),
                    "PUT" => EditMessageLocked(id, body),
                    "DELETE" => DeleteMessageLocked(id),
                    _ => MethodNotAllowed(),
                };
            }
        }

        // Brevo's answer for an unknown route is [UNVERIFIED].
        return Error(404, "document_not_found", "Route not found");
    }

    private ApiResult SendLocked(string body, Dictionary<string, string> headers, bool pushed, DateTimeOffset now)
    {
        if (ParseObject(body) is not { } input)
        {
            return Error(400, "bad_request", "Input must be a valid JSON object");
        }

        if (RequireString(input, "visitorId", out var visitorId) is { } visitorError)
        {
            return visitorError;
        }

        if (RequireString(input, "text", out var text) is { } textError)
        {
            return textError;
        }

        var agentId = OptionalString(input, "agentId");
        var agentEmail = OptionalString(input, "agentEmail");
        var agentName = OptionalString(input, "agentName");
        var receivedFrom = OptionalString(input, "receivedFrom");

        FakeBrevoAgent agent;
        if (!string.IsNullOrEmpty(agentId))
        {
            if (_agents.TryGetValue(agentId, out var known))
            {
                agent = known;
            }
            else if (RejectUnknownAgents)
            {
                return Error(400, "invalid_parameter", "Agent not found");
            }
            else
            {
                agent = _agents[agentId] = new FakeBrevoAgent(agentId, "Agent " + agentId[..Math.Min(4, agentId.Length)],
                    agentId + "@agents.example");
            }
        }
        else if (!string.IsNullOrEmpty(agentEmail) && !string.IsNullOrEmpty(agentName) && !string.IsNullOrEmpty(receivedFrom))
        {
            // Auto-creating an agent for an unknown email is documented for agentOnlinePing only: [UNVERIFIED] here.
            agent = FindOrCreateAgentByEmailLocked(agentEmail, agentName);
        }
        else if (pushed)
        {
            // Pushed messages take agentId and/or groupId; without one the fake attributes them to the default agent.
            agent = DefaultAgent;
        }
        else
        {
            return Error(400, "missing_parameter",
                "agentId is required (or agentEmail, agentName and receivedFrom together)");
        }

        if (!_visitors.TryGetValue(visitorId, out var visitor))
        {
            if (RejectUnknownVisitors)
            {
                return Error(400, "invalid_parameter", "Visitor not found");
            }

            // A visitor id the integrator bound itself (widget identification): the channel is the widget.
            visitor = RegisterVisitorLocked(new FakeBrevoVisitor(visitorId, BrevoIds.NewId(), BrevoIds.NewId(),
                "widget", "Visitor " + visitorId[..Math.Min(6, visitorId.Length)], "", ""));
        }

        var message = new JsonObject
        {
            ["id"] = BrevoIds.NewId(),
            ["type"] = "agent",
            ["text"] = text,
            ["html"] = WebUtility.HtmlEncode(text),
            ["visitorId"] = visitorId,
            ["agentId"] = agent.Id,
            ["agentName"] = agent.Name,
            ["createdAt"] = now.ToUnixTimeMilliseconds(),
            ["isPushed"] = pushed,
        };
        if (agent.Userpic is not null)
        {
            message["agentUserpic"] = agent.Userpic;
        }

        if (receivedFrom is not null)
        {
            message["receivedFrom"] = receivedFrom;
        }

        var id = (string)message["id"]!;
        StoreMessageLocked(message, visitorId);
        _sent.Add(new SentMessage(id, visitorId, text, agent.Id, agentEmail, agentName, receivedFrom, pushed,
            headers, body, now));

        JsonObject? echo = null;
        if (EchoEnabled && !_stopping.IsCancellationRequested)
        {
            var echoed = (JsonObject)message.DeepClone();
            echoed.Remove("visitorId"); // webhook samples (§5.3) carry the visitor separately
            echo = new JsonObject
            {
                ["eventName"] = "conversationFragment",
                ["conversationId"] = visitor.ConversationId,
                ["messages"] = new JsonArray(echoed),
                ["agents"] = new JsonArray(agent.ToJson()),
                ["visitor"] = visitor.ToJson(),
            };
        }

        return new ApiResult(200, message.ToJsonString(WireJson)) { Echo = echo };
    }

    private ApiResult PingLocked(string body)
    {
        if (ParseObject(body) is not { } input)
        {
            return Error(400, "bad_request", "Input must be a valid JSON object");
        }

        var agentId = OptionalString(input, "agentId");
        if (!string.IsNullOrEmpty(agentId))
        {
            return _agents.ContainsKey(agentId) || !RejectUnknownAgents
                ? new ApiResult(201, null)
                : Error(400, "invalid_parameter", "Agent not found");
        }

        var email = OptionalString(input, "agentEmail");
        var name = OptionalString(input, "agentName");
        if (!string.IsNullOrEmpty(email) && !string.IsNullOrEmpty(name)
            && !string.IsNullOrEmpty(OptionalString(input, "receivedFrom")))
        {
            FindOrCreateAgentByEmailLocked(email, name);
            return new ApiResult(201, null);
        }

        return Error(400, "missing_parameter", "agentId is required (or agentEmail, agentName and receivedFrom together)");
    }

    private ApiResult GetMessageLocked(string id) =>
        _messages.TryGetValue(id, out var stored)
            ? new ApiResult(200, stored.Message.ToJsonString(WireJson))
            : Error(404, "document_not_found", "Message not found");

    private ApiResult EditMessageLocked(string id, string body)
    {
        if (!_messages.TryGetValue(id, out var stored))
        {
            return Error(404, "document_not_found", "Message not found");
        }

        if (ParseObject(body) is not { } input)
        {
            return Error(400, "bad_request", "Input must be a valid JSON object");
        }

        if (RequireString(input, "text", out var text) is { } textError)
        {
            return textError;
        }

        if (!stored.IsAgent)
        {
            return Error(400, "invalid_parameter", "Only agent messages can be edited"); // wording [UNVERIFIED]
        }

        stored.Message["text"] = text;
        stored.Message["html"] = WebUtility.HtmlEncode(text);
        return new ApiResult(200, stored.Message.ToJsonString(WireJson));
    }

    private ApiResult DeleteMessageLocked(string id)
    {
        if (!_messages.TryGetValue(id, out var stored))
        {
            return Error(404, "document_not_found", "Message not found");
        }

        if (!stored.IsAgent)
        {
            return Error(400, "invalid_parameter", "Only agent messages can be deleted"); // wording [UNVERIFIED]
        }

        _messages.Remove(id);
        if (_conversationMessageIds.TryGetValue(stored.VisitorId, out var ids))
        {
            ids.Remove(id);
        }

        return new ApiResult(204, null);
    }

    private FakeBrevoAgent FindOrCreateAgentByEmailLocked(string email, string name)
    {
        var existing = _agents.Values.FirstOrDefault(a => string.Equals(a.Email, email, StringComparison.OrdinalIgnoreCase));
        if (existing is not null)
        {
            return existing;
        }

        var created = new FakeBrevoAgent(BrevoIds.NewId(), name, email);
        _agents[created.Id] = created;
        return created;
    }

    private void StoreMessageLocked(JsonObject message, string visitorId)
    {
        var id = (string)message["id"]!;
        if (_messages.ContainsKey(id))
        {
            return;
        }

        _messages[id] = new StoredMessage(message, visitorId);
        if (!_conversationMessageIds.TryGetValue(visitorId, out var ids))
        {
            _conversationMessageIds[visitorId] = ids = [];
        }

        ids.Add(id);
    }

    private static JsonObject? ParseObject(string body)
    {
        try
        {
            return JsonNode.Parse(body) as JsonObject;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static ApiResult? RequireString(JsonObject input, string name, out string value)
    {
        value = "";
        var node = input[name];
        if (node is null)
        {
            return Error(400, "missing_parameter", name + " is required");
        }

        if (node.GetValueKind() != JsonValueKind.String)
        {
            return Error(400, "invalid_parameter", name + " should be type string");
        }

        value = node.GetValue<string>();
        return value.Length == 0 ? Error(400, "missing_parameter", name + " is required") : null;
    }

    private static string? OptionalString(JsonObject input, string name) =>
        input[name] is { } node && node.GetValueKind() == JsonValueKind.String ? node.GetValue<string>() : null;

    private static ApiResult Error(int status, string code, string message) =>
        new(status, new JsonObject { ["code"] = code, ["message"] = message }.ToJsonString(WireJson));

    // Observed 401 bodies put "message" before "code".
    private static ApiResult Unauthorized(string message) =>
        new(401, new JsonObject { ["message"] = message, ["code"] = "unauthorized" }.ToJsonString(WireJson));

    private static ApiResult MethodNotAllowed() => Error(405, "method_not_allowed", "Method not allowed");

    private static ApiResult Injected(InjectedFailure failure) => failure.Status switch
    {
        400 => Error(400, "bad_request", failure.Message ?? "Bad request"),
        401 => Unauthorized(failure.Message ?? "Key not found"),
        402 => Error(402, "not_enough_credits", failure.Message ?? "Not enough credit, plan upgrade needed"),
        403 => Error(403, "permission_denied", failure.Message ?? "Permission denied"),
        404 => Error(404, "document_not_found", failure.Message ?? "Document not found"),
        429 => Error(429, "too_many_requests", failure.Message ?? "Too many requests"),
        // A gateway in front of the API answers 502/503 with HTML, not Brevo's JSON envelope.
        502 or 503 => new ApiResult(failure.Status,
            $"<html><body><h1>{failure.Status} {(failure.Status == 502 ? "Bad Gateway" : "Service Unavailable")}</h1></body></html>",
            "text/html"),
        // 5xx JSON body is [UNVERIFIED]; callers should branch on status only.
        _ => Error(failure.Status, "internal_error", failure.Message ?? "Internal server error"),
    };

    private sealed record RateHeaders(int Limit, int Remaining, int Reset);

    private sealed record ApiResult(int Status, string? Body, string ContentType = "application/json; charset=utf-8")
    {
        public RateHeaders? RateHeaders { get; init; }

        public JsonObject? Echo { get; init; }
    }
}
