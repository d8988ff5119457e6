namespace MessengerAutoReply.Operators;

/// <summary>Filters of <c>GET /api/audit</c>; newest first.</summary>
public sealed record AuditQuery(int Page = 1, int PerPage = 50, string? OperatorId = null, string? ChatId = null, string? Action = null);
