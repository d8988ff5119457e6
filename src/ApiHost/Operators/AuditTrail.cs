using MessengerAutoReply.Operators;

namespace MessengerAutoReply.ApiHost.Operators;

/// <summary>
/// What the API routes call to record who did what: the actor comes from the request, the time from the
/// clock, and a store that is down never fails the action that already happened (the miss is logged, without
/// any secret or message text).
/// </summary>
public sealed partial class AuditTrail(IAuditLog log, TimeProvider time, ILogger<AuditTrail> logger)
{
    public Task RecordAsync(HttpContext http, string action, string? chatId = null, string? targetId = null, string? detail = null) =>
        RecordAsync(Actor.From(http.User), action, chatId, targetId, detail);

    public async Task RecordAsync(Actor? actor, string action, string? chatId = null, string? targetId = null, string? detail = null)
    {
        var entry = new AuditEntry
        {
            Id = WorkspaceIds.New(),
            At = time.GetUtcNow(),
            OperatorId = actor?.Id,
            OperatorName = actor?.Name,
            Action = action,
            ChatId = chatId,
            TargetId = targetId,
            Detail = detail,
        };
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await log.RecordAsync(entry, timeout.Token);
        }
        catch (Exception ex) when (ex is Archive.ArchiveUnavailableException or OperationCanceledException or Archive.PocketBase.PocketBaseException)
        {
            LogNotRecorded(action, actor?.Id, ex.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Audit entry {Action} by {OperatorId} not recorded: {Error}")]
    private partial void LogNotRecorded(string action, string? operatorId, string error);
}
