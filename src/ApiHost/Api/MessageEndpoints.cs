using MessengerAutoReply.Chats;
using MessengerAutoReply.Delivery;

namespace MessengerAutoReply.ApiHost.Api;

/// <summary><c>POST /api/messages</c>: an operator or another system writes to a customer.</summary>
public static class MessageEndpoints
{
    public const int MaxTextLength = 20_000;

    public static RouteGroupBuilder MapMessages(this RouteGroupBuilder api)
    {
        api.MapPost("/messages", PostMessage);
        return api;
    }

    private static async Task<IResult> PostMessage(HttpContext context, IGrainFactory grains, GatewayRegistry gateways, Operators.AuditTrail audit)
    {
        var (body, problem) = await JsonBody.ReadAsync<PostMessageBody>(context);
        if (problem is not null)
        {
            return problem;
        }
        if (string.IsNullOrWhiteSpace(body!.Text))
        {
            return Problems.BadRequest("text is required.");
        }
        if (body.Text.Length > MaxTextLength)
        {
            return Problems.BadRequest($"text is longer than {MaxTextLength} characters.");
        }
        var responseMode = body.ResponseMode?.Trim().ToLowerInvariant() ?? ResponseModes.Operator;
        if (responseMode is not (ResponseModes.Operator or ResponseModes.Api))
        {
            return Problems.BadRequest("responseMode must be operator (a person wrote it) or api (an automated system).");
        }

        ChatAddress? address = null;
        string chatId;
        string platform;
        if (!string.IsNullOrWhiteSpace(body.ChatId))
        {
            chatId = body.ChatId.Trim();
            if (!chatId.All(char.IsAsciiLetterOrDigit))
            {
                return Problems.BadRequest("chatId may hold only letters and digits (the id of a chat from GET /api/chats).");
            }
            var chat = ChatIds.IsValid(chatId) ? await grains.GetGrain<IChatGrain>(chatId).GetAsync() : null;
            if (chat is null)
            {
                return ChatEndpoints.UnknownChat(chatId);
            }
            platform = chat.Platform;
        }
        else
        {
            var source = body.Source?.Trim().ToLowerInvariant();
            if (string.IsNullOrEmpty(source))
            {
                return Problems.BadRequest("source is required (telegram or instagram), or give chatId.");
            }
            if (!InputRules.IsSafeSource(source))
            {
                return Problems.BadRequest("source may hold only lowercase letters, digits, - and _ (telegram, instagram, ...).");
            }
            var platformChatId = source == Sources.Instagram
                ? FirstNonEmpty(body.VisitorId, body.PlatformChatId)
                : FirstNonEmpty(body.PlatformChatId);
            if (platformChatId is null)
            {
                return Problems.BadRequest(source == Sources.Instagram
                    ? "visitorId is required for instagram (the Brevo visitor id of the chat)."
                    : "platformChatId is required.");
            }
            if (!InputRules.IsSafePlatformChatId(platformChatId))
            {
                return Problems.BadRequest($"{(source == Sources.Instagram ? "visitorId" : "platformChatId")} may hold only letters, digits and - _ . : @ + (at most {InputRules.MaxPlatformChatIdLength}).");
            }
            chatId = ChatIds.ForChat(source, platformChatId);
            var existing = await grains.GetGrain<IChatGrain>(chatId).GetAsync();
            if (existing is not null)
            {
                platform = existing.Platform;
            }
            else
            {
                platform = GatewayRegistry.PlatformForSource(source)!;
                if (platform is null)
                {
                    return Problems.BadRequest($"source '{source}' is unknown: use telegram or instagram, or give chatId of an existing chat.");
                }
                address = new ChatAddress { Source = source, Platform = platform, PlatformChatId = platformChatId };
            }
        }

        if (!gateways.IsConfigured(platform))
        {
            return Problems.Unavailable($"Sending through {platform} is not configured: set {GatewayRegistry.SettingFor(platform)}.");
        }

        string? idempotencyKey = context.Request.Headers["Idempotency-Key"];
        if (idempotencyKey is { Length: > 200 })
        {
            return Problems.BadRequest("Idempotency-Key must be at most 200 characters.");
        }
        // An operator's message carries the operator's name; the API key's keeps the request's (decision 14).
        var actor = Operators.Actor.From(context.User);
        var result = await grains.GetGrain<IChatGrain>(chatId).SendAsync(new OutboundRequest
        {
            Chat = address,
            Text = body.Text.Trim(),
            SenderName = actor is { IsOperator: true } ? actor.Name : string.IsNullOrWhiteSpace(body.SenderName) ? null : body.SenderName.Trim(),
            ResponseMode = responseMode,
            DeliveryKey = string.IsNullOrWhiteSpace(idempotencyKey) ? $"api:{Guid.NewGuid():N}" : InputRules.DeliveryKeyFor(idempotencyKey),
        });
        if (result.Outcome == SendOutcome.Accepted)
        {
            await audit.RecordAsync(context, MessengerAutoReply.Operators.AuditActions.MessageSent, chatId: chatId,
                targetId: result.Messages[0].Id, detail: responseMode);
        }
        return result.Outcome switch
        {
            SendOutcome.UnknownChat => ChatEndpoints.UnknownChat(chatId),
            _ => TypedResults.Json(result.Messages[0], Archive.ArchiveJson.Options, statusCode: StatusCodes.Status202Accepted),
        };
    }

    private static string? FirstNonEmpty(params string?[] values) =>
        values.FirstOrDefault(v => !string.IsNullOrWhiteSpace(v))?.Trim();

    private sealed record PostMessageBody(
        string? Source,
        string? PlatformChatId,
        string? ChatId,
        string? Text,
        string? VisitorId,
        string? SenderName,
        string? ResponseMode);
}
