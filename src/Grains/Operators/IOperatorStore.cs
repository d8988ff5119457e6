using MessengerAutoReply.Archive;

namespace MessengerAutoReply.Operators;

/// <summary>
/// Operator accounts beside the archive: SQLite in the embedded default, PocketBase when POCKET_BASE_URL is set
/// (shared by every process in cluster mode). Failures to reach the store throw <see cref="ArchiveUnavailableException"/>.
/// </summary>
public interface IOperatorStore
{
    Task<OperatorAccount?> GetAsync(string id, CancellationToken cancellationToken);

    /// <summary>By the normalized address (<see cref="OperatorAccount.NormalizeEmail"/>).</summary>
    Task<OperatorAccount?> FindByEmailAsync(string email, CancellationToken cancellationToken);

    /// <summary>Oldest first.</summary>
    Task<Paged<OperatorAccount>> ListAsync(int page, int perPage, CancellationToken cancellationToken);

    /// <summary>How many operators are admins and not disabled (the last one may not go).</summary>
    Task<int> CountActiveAdminsAsync(CancellationToken cancellationToken);

    /// <summary>Throws <see cref="OperatorEmailTakenException"/> when the address is taken.</summary>
    Task CreateAsync(OperatorAccount account, CancellationToken cancellationToken);

    /// <summary>Whole-record write; false when there is no such operator. Throws <see cref="OperatorEmailTakenException"/>.</summary>
    Task<bool> UpdateAsync(OperatorAccount account, CancellationToken cancellationToken);

    /// <summary>False when there was no such operator.</summary>
    Task<bool> DeleteAsync(string id, CancellationToken cancellationToken);
}
