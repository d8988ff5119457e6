using MessengerAutoReply.Archive;
using MessengerAutoReply.Archive.PocketBase;

namespace MessengerAutoReply.Operators.PocketBase;

/// <summary>Operators in PocketBase's <c>operators</c> collection (every rule null: admins only).</summary>
public sealed class PocketBaseOperatorStore : IOperatorStore
{
    private readonly PocketBaseWorkspace _pb;

    public PocketBaseOperatorStore(PocketBaseClient client, PocketBaseSchema schema) => _pb = new PocketBaseWorkspace(client, schema);

    public async Task<OperatorAccount?> GetAsync(string id, CancellationToken cancellationToken) =>
        WorkspaceIds.IsValid(id) ? (await _pb.GetAsync<OperatorRecord>(PocketBaseSchema.Operators, id, cancellationToken))?.ToAccount() : null;

    public async Task<OperatorAccount?> FindByEmailAsync(string email, CancellationToken cancellationToken)
    {
        var list = await _pb.ListAsync<OperatorRecord>(PocketBaseSchema.Operators,
            PocketBaseFilter.Equal("email", OperatorAccount.NormalizeEmail(email)), "created", 1, 1, cancellationToken);
        return list.Items.Count == 0 ? null : list.Items[0].ToAccount();
    }

    public async Task<Paged<OperatorAccount>> ListAsync(int page, int perPage, CancellationToken cancellationToken)
    {
        var list = await _pb.ListAsync<OperatorRecord>(PocketBaseSchema.Operators, "", "created,id", page, perPage, cancellationToken);
        return new Paged<OperatorAccount>(list.Page, list.PerPage, list.TotalItems, list.TotalPages, [.. list.Items.Select(r => r.ToAccount())]);
    }

    public async Task<int> CountActiveAdminsAsync(CancellationToken cancellationToken)
    {
        var list = await _pb.ListAsync<OperatorRecord>(PocketBaseSchema.Operators,
            $"{PocketBaseFilter.Equal("role", OperatorRoles.Admin)} && disabled=false", "id", 1, 1, cancellationToken, fields: "id");
        return list.TotalItems;
    }

    public async Task CreateAsync(OperatorAccount account, CancellationToken cancellationToken)
    {
        try
        {
            await _pb.CreateAsync(PocketBaseSchema.Operators, OperatorRecord.From(account, withId: true), cancellationToken);
        }
        catch (PocketBaseException ex) when (ex.Has("email", "validation_not_unique"))
        {
            throw new OperatorEmailTakenException(account.Email);
        }
    }

    public async Task<bool> UpdateAsync(OperatorAccount account, CancellationToken cancellationToken)
    {
        try
        {
            return await _pb.PatchAsync(PocketBaseSchema.Operators, account.Id, OperatorRecord.From(account, withId: false), cancellationToken);
        }
        catch (PocketBaseException ex) when (ex.Has("email", "validation_not_unique"))
        {
            throw new OperatorEmailTakenException(account.Email);
        }
    }

    public Task<bool> DeleteAsync(string id, CancellationToken cancellationToken) =>
        WorkspaceIds.IsValid(id) ? _pb.DeleteAsync(PocketBaseSchema.Operators, id, cancellationToken) : Task.FromResult(false);
}
