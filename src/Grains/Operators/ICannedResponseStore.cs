using MessengerAutoReply.Archive;

namespace MessengerAutoReply.Operators;

/// <summary>Saved replies beside the archive (SQLite, or PocketBase's <c>canned_responses</c>); short codes are unique.</summary>
public interface ICannedResponseStore
{
    /// <summary>By short code.</summary>
    Task<Paged<CannedResponse>> ListAsync(int page, int perPage, CancellationToken cancellationToken);

    Task<CannedResponse?> GetAsync(string id, CancellationToken cancellationToken);

    /// <summary>Throws <see cref="ShortCodeTakenException"/>.</summary>
    Task CreateAsync(CannedResponse response, CancellationToken cancellationToken);

    /// <summary>False when there is no such saved reply. Throws <see cref="ShortCodeTakenException"/>.</summary>
    Task<bool> UpdateAsync(CannedResponse response, CancellationToken cancellationToken);

    Task<bool> DeleteAsync(string id, CancellationToken cancellationToken);
}
