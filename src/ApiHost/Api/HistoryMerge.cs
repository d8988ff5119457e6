using MessengerAutoReply.Archive;
using MessengerAutoReply.Chats;

namespace MessengerAutoReply.ApiHost.Api;

/// <summary>A page of a chat's history from the archive, merged with what grain state holds and the archive not yet.</summary>
public static class HistoryMerge
{
    /// <summary>
    /// The archive is written behind grain state, so a client that refetches right after an event (an SSE
    /// resync) could miss the newest messages. Newer versions replace what the page has, and messages the
    /// archive lacks join the page at the live edge (the last page oldest-first, the first page newest-first).
    /// </summary>
    public static Paged<ChatMessage> WithUnarchived(Paged<ChatMessage> page, IReadOnlyList<ChatMessage> unarchived, bool newestFirst)
    {
        if (unarchived.Count == 0)
        {
            return page;
        }
        var byId = unarchived.ToDictionary(m => m.Id);
        var items = page.Items.Select(m => byId.Remove(m.Id, out var newer) ? newer : m).ToList();
        // Only what is newer than the page: an unarchived update of an older message belongs to another page.
        var newest = page.Items.Count == 0 ? DateTimeOffset.MinValue : page.Items.Max(m => m.Timestamp);
        // Same-millisecond messages (one platform batch) count as newer: those already on the page were replaced above.
        var missing = byId.Values.Where(m => m.Timestamp >= newest).ToList();
        var total = page.TotalItems;
        var atLiveEdge = newestFirst ? page.Page == 1 : page.Page >= Math.Max(1, page.TotalPages);
        if (missing.Count > 0 && atLiveEdge)
        {
            items.AddRange(missing);
            total += missing.Count;
        }
        // A page never holds more than perPage; an overflow at the oldest-first live edge shows once archived.
        items = newestFirst
            ? [.. items.OrderByDescending(m => m.Timestamp).Take(page.PerPage)]
            : [.. items.OrderBy(m => m.Timestamp).Take(page.PerPage)];
        return page with { Items = items, TotalItems = total, TotalPages = total == 0 ? 0 : (total + page.PerPage - 1) / page.PerPage };
    }
}
