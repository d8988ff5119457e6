using MessengerAutoReply.Archive.PocketBase;

namespace MessengerAutoReply.Operators.PocketBase;

/// <summary>An <c>audit</c> record (admin-only collection).</summary>
internal sealed record AuditRecord
{
    public string? Id { get; init; }
    public string At { get; init; } = "";
    public string? OperatorId { get; init; }
    public string? OperatorName { get; init; }
    public string Action { get; init; } = "";
    public string? ChatId { get; init; }
    public string? TargetId { get; init; }
    public string? Detail { get; init; }

    public static AuditRecord From(AuditEntry entry) => new()
    {
        Id = entry.Id,
        At = PocketBaseTime.Format(entry.At),
        OperatorId = entry.OperatorId,
        OperatorName = entry.OperatorName,
        Action = entry.Action,
        ChatId = entry.ChatId,
        TargetId = entry.TargetId,
        Detail = entry.Detail,
    };

    public AuditEntry ToEntry() => new()
    {
        Id = Id!,
        At = PocketBaseTime.Parse(At) ?? default,
        OperatorId = Empty(OperatorId),
        OperatorName = Empty(OperatorName),
        Action = Action,
        ChatId = Empty(ChatId),
        TargetId = Empty(TargetId),
        Detail = Empty(Detail),
    };

    private static string? Empty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}
