using MessengerAutoReply.Archive;
using MessengerAutoReply.Archive.PocketBase;

namespace MessengerAutoReply.Operators.PocketBase;

/// <summary>The audit log in PocketBase's <c>audit</c> collection (every rule null: admins only).</summary>
public sealed class PocketBaseAuditLog : IAuditLog
{
    private readonly PocketBaseWorkspace _pb;

    public PocketBaseAuditLog(PocketBaseClient client, PocketBaseSchema schema) => _pb = new PocketBaseWorkspace(client, schema);

    public async Task RecordAsync(AuditEntry entry, CancellationToken cancellationToken)
    {
        try
        {
            await _pb.CreateAsync(PocketBaseSchema.Audit, AuditRecord.From(entry), cancellationToken);
        }
        catch (PocketBaseException ex) when (ex.Has("id", "validation_invalid_id") || ex.HasCode("validation_not_unique"))
        {
            // A retry of a write that landed: the entry is there.
        }
    }

    public async Task<Paged<AuditEntry>> ListAsync(AuditQuery query, CancellationToken cancellationToken)
    {
        var filters = new List<string>();
        if (query.OperatorId is not null)
        {
            filters.Add(PocketBaseFilter.Equal("operatorId", query.OperatorId));
        }
        if (query.ChatId is not null)
        {
            filters.Add(PocketBaseFilter.Equal("chatId", query.ChatId));
        }
        if (query.Action is not null)
        {
            filters.Add(PocketBaseFilter.Equal("action", query.Action));
        }
        var list = await _pb.ListAsync<AuditRecord>(PocketBaseSchema.Audit, string.Join(" && ", filters), "-at,-created", query.Page, query.PerPage, cancellationToken);
        return new Paged<AuditEntry>(list.Page, list.PerPage, list.TotalItems, list.TotalPages, [.. list.Items.Select(r => r.ToEntry())]);
    }
}
