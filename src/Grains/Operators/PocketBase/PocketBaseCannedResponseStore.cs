using MessengerAutoReply.Archive;
using MessengerAutoReply.Archive.PocketBase;

namespace MessengerAutoReply.Operators.PocketBase;

/// <summary>Saved replies in PocketBase's <c>canned_responses</c> (PocketBase users read, admins write).</summary>
public sealed class PocketBaseCannedResponseStore : ICannedResponseStore
{
    private readonly PocketBaseWorkspace _pb;

    public PocketBaseCannedResponseStore(PocketBaseClient client, PocketBaseSchema schema) => _pb = new PocketBaseWorkspace(client, schema);

    public async Task<Paged<CannedResponse>> ListAsync(int page, int perPage, CancellationToken cancellationToken)
    {
        var list = await _pb.ListAsync<Record>(PocketBaseSchema.CannedResponses, "", "shortCode", page, perPage, cancellationToken);
        return new Paged<CannedResponse>(list.Page, list.PerPage, list.TotalItems, list.TotalPages, [.. list.Items.Select(r => r.ToResponse())]);
    }

    public async Task<CannedResponse?> GetAsync(string id, CancellationToken cancellationToken) =>
        WorkspaceIds.IsValid(id) ? (await _pb.GetAsync<Record>(PocketBaseSchema.CannedResponses, id, cancellationToken))?.ToResponse() : null;

    public async Task CreateAsync(CannedResponse response, CancellationToken cancellationToken)
    {
        try
        {
            await _pb.CreateAsync(PocketBaseSchema.CannedResponses, new Record(response.Id, response.ShortCode, response.Content, null, null), cancellationToken);
        }
        catch (PocketBaseException ex) when (ex.Has("shortCode", "validation_not_unique"))
        {
            throw new ShortCodeTakenException(response.ShortCode);
        }
    }

    public async Task<bool> UpdateAsync(CannedResponse response, CancellationToken cancellationToken)
    {
        try
        {
            return await _pb.PatchAsync(PocketBaseSchema.CannedResponses, response.Id, new Record(null, response.ShortCode, response.Content, null, null), cancellationToken);
        }
        catch (PocketBaseException ex) when (ex.Has("shortCode", "validation_not_unique"))
        {
            throw new ShortCodeTakenException(response.ShortCode);
        }
    }

    public Task<bool> DeleteAsync(string id, CancellationToken cancellationToken) =>
        WorkspaceIds.IsValid(id) ? _pb.DeleteAsync(PocketBaseSchema.CannedResponses, id, cancellationToken) : Task.FromResult(false);

    private sealed record Record(string? Id, string ShortCode, string Content, string? Created, string? Updated)
    {
        public CannedResponse ToResponse() =>
            new(Id!, ShortCode, Content, PocketBaseTime.Parse(Created) ?? default, PocketBaseTime.Parse(Updated) ?? default);
    }
}
