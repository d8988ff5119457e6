using MessengerAutoReply.Archive;

namespace MessengerAutoReply.Operators;

/// <summary>
/// The audit log beside the archive (SQLite, or PocketBase when POCKET_BASE_URL is set). Any code that changes
/// something on an operator's behalf calls <see cref="RecordAsync"/>; the API host wraps it so a store that is
/// down never fails the action itself (the miss is logged).
/// </summary>
public interface IAuditLog
{
    Task RecordAsync(AuditEntry entry, CancellationToken cancellationToken);

    Task<Paged<AuditEntry>> ListAsync(AuditQuery query, CancellationToken cancellationToken);
}
