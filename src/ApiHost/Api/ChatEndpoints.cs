using MessengerAutoReply.Archive;
using MessengerAutoReply.Chats;

namespace MessengerAutoReply.ApiHost.Api;

/// <summary><c>/api/chats</c>: the chat list, one chat, its history, and its autoMode switch.</summary>
public static class ChatEndpoints
{
    public const int MaxPerPage = 500;

    public static RouteGroupBuilder MapChats(this RouteGroupBuilder api)
    {
        var chats = api.MapGroup("/chats");
        chats.MapGet("/", ListChats);
        chats.MapGet("/{chatId}", GetChat);
        chats.MapGet("/{chatId}/messages", ListMessages);
        chats.MapPatch("/{chatId}/autoMode", SetAutoMode);
        return api;
    }

    private static async Task<IResult> ListChats(HttpRequest request, IChatArchive archive, CancellationToken ct)
    {
        if (!TryPaging(request, out var page, out var perPage, out var problem))
        {
            return problem!;
        }
        var source = request.Query["source"].ToString().Trim().ToLowerInvariant();
        var q = request.Query["q"].ToString();
        if (source.Length > 0 && !InputRules.IsSafeSource(source))
        {
            return Problems.BadRequest("source may hold only lowercase letters, digits, - and _ (telegram, instagram, ...).");
        }
        return await FromArchive(async () => TypedResults.Ok(await archive.ListChatsAsync(
            new ChatQuery(page, perPage, source.Length == 0 ? null : source,
                string.IsNullOrWhiteSpace(q) ? null : q), ct)));
    }

    private static async Task<IResult> GetChat(string chatId, IGrainFactory grains)
    {
        var chat = ChatIds.IsValid(chatId) ? await grains.GetGrain<IChatGrain>(chatId).GetAsync() : null;
        return chat is null ? UnknownChat(chatId) : TypedResults.Ok(chat);
    }

    private static async Task<IResult> ListMessages(string chatId, HttpRequest request, IChatArchive archive, IGrainFactory grains, CancellationToken ct)
    {
        if (!TryPaging(request, out var page, out var perPage, out var problem))
        {
            return problem!;
        }
        var sort = request.Query["sort"].ToString();
        if (sort is not ("" or "timestamp" or "-timestamp"))
        {
            return Problems.BadRequest("sort must be timestamp (oldest first) or -timestamp (newest first).");
        }
        if (!ChatIds.IsValid(chatId))
        {
            return UnknownChat(chatId);
        }
        return await FromArchive(async () =>
        {
            var grain = grains.GetGrain<IChatGrain>(chatId);
            var result = HistoryMerge.WithUnarchived(await archive.ListMessagesAsync(chatId, new MessageQuery(page, perPage, sort == "-timestamp"), ct),
                await grain.GetUnarchivedAsync(), sort == "-timestamp");
            if (result.TotalItems == 0 && await grain.GetAsync() is null)
            {
                return UnknownChat(chatId);
            }
            return TypedResults.Ok(result);
        });
    }

    private static async Task<IResult> SetAutoMode(string chatId, HttpContext context, IGrainFactory grains, Operators.AuditTrail audit)
    {
        var (body, problem) = await JsonBody.ReadAsync<AutoModeBody>(context);
        if (problem is not null)
        {
            return problem;
        }
        if (body!.AutoMode is not { } autoMode)
        {
            return Problems.BadRequest("autoMode is required: true or false.");
        }
        var chat = ChatIds.IsValid(chatId) ? await grains.GetGrain<IChatGrain>(chatId).SetAutoModeAsync(autoMode) : null;
        if (chat is null)
        {
            return UnknownChat(chatId);
        }
        await audit.RecordAsync(context, MessengerAutoReply.Operators.AuditActions.AutoModeSwitched, chatId: chatId, detail: autoMode ? "on" : "off");
        return TypedResults.Ok(chat);
    }

    internal static IResult UnknownChat(string chatId) => Problems.NotFound($"No chat with id '{chatId}'.");

    internal static bool TryPaging(HttpRequest request, out int page, out int perPage, out IResult? problem)
    {
        problem = null;
        page = 1;
        perPage = 50;
        var rawPage = request.Query["page"].ToString();
        var rawPerPage = request.Query["perPage"].ToString();
        if (rawPage.Length > 0 && (!int.TryParse(rawPage, out page) || page < 1))
        {
            problem = Problems.BadRequest("page must be a whole number from 1.");
            return false;
        }
        if (rawPerPage.Length > 0 && (!int.TryParse(rawPerPage, out perPage) || perPage is < 1 or > MaxPerPage))
        {
            problem = Problems.BadRequest($"perPage must be a whole number from 1 to {MaxPerPage}.");
            return false;
        }
        return true;
    }

    internal static async Task<IResult> FromArchive(Func<Task<IResult>> read)
    {
        try
        {
            return await read();
        }
        catch (ArchiveUnavailableException ex)
        {
            return Problems.Unavailable($"The archive cannot be read right now: {ex.Message}");
        }
    }

    private sealed record AutoModeBody(bool? AutoMode);
}
