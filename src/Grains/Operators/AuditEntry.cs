namespace MessengerAutoReply.Operators;

/// <summary>
/// One line of "who did what" (issue #17). <see cref="OperatorId"/> is the operator's id, or <c>api</c> for the
/// API key (decision 14), or null for an anonymous attempt (a failed sign-in is not recorded here, only logged).
/// </summary>
public sealed record AuditEntry
{
    public required string Id { get; init; }
    public required DateTimeOffset At { get; init; }
    public string? OperatorId { get; init; }
    public string? OperatorName { get; init; }
    /// <summary>One of <see cref="AuditActions"/>.</summary>
    public required string Action { get; init; }
    public string? ChatId { get; init; }
    /// <summary>What the action was done to, when it is not a chat (an operator's id).</summary>
    public string? TargetId { get; init; }
    /// <summary>A short human-readable detail (never a secret, never a message's text).</summary>
    public string? Detail { get; init; }
}
