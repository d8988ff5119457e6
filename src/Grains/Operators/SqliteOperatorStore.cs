using System.Text.Json;
using MessengerAutoReply.Archive;
using Microsoft.Data.Sqlite;

namespace MessengerAutoReply.Operators;

/// <summary>Operators in the embedded default: a table of the archive's SQLite file, the record as JSON beside the queried columns.</summary>
public sealed class SqliteOperatorStore : IOperatorStore
{
    private readonly SqliteWorkspace _db;

    public SqliteOperatorStore(string databasePath)
    {
        _db = new SqliteWorkspace(databasePath, """
            CREATE TABLE IF NOT EXISTS operators (
                id TEXT PRIMARY KEY,
                email TEXT NOT NULL UNIQUE,
                role TEXT NOT NULL,
                disabled INTEGER NOT NULL,
                created TEXT NOT NULL,
                json TEXT NOT NULL);
            """);
    }

    public Task<OperatorAccount?> GetAsync(string id, CancellationToken cancellationToken) =>
        FindAsync("id", id, cancellationToken);

    public Task<OperatorAccount?> FindByEmailAsync(string email, CancellationToken cancellationToken) =>
        FindAsync("email", OperatorAccount.NormalizeEmail(email), cancellationToken);

    private Task<OperatorAccount?> FindAsync(string column, string value, CancellationToken cancellationToken) => _db.ReadAsync(async connection =>
    {
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT json FROM operators WHERE {column} = $value";
        command.Parameters.AddWithValue("$value", value);
        var json = (string?)await command.ExecuteScalarAsync(cancellationToken);
        return json is null ? null : JsonSerializer.Deserialize<OperatorAccount>(json, ArchiveJson.Options);
    });

    public Task<Paged<OperatorAccount>> ListAsync(int page, int perPage, CancellationToken cancellationToken) => _db.ReadAsync(async connection =>
    {
        await using var count = connection.CreateCommand();
        count.CommandText = "SELECT COUNT(*) FROM operators";
        var total = Convert.ToInt32(await count.ExecuteScalarAsync(cancellationToken));
        await using var list = connection.CreateCommand();
        list.CommandText = "SELECT json FROM operators ORDER BY created, id LIMIT $limit OFFSET $offset";
        list.Parameters.AddWithValue("$limit", perPage);
        list.Parameters.AddWithValue("$offset", (long)(page - 1) * perPage);
        var items = new List<OperatorAccount>();
        await using var reader = await list.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            items.Add(JsonSerializer.Deserialize<OperatorAccount>(reader.GetString(0), ArchiveJson.Options)!);
        }
        return Paged.Of<OperatorAccount>(page, perPage, total, items);
    });

    public Task<int> CountActiveAdminsAsync(CancellationToken cancellationToken) => _db.ReadAsync(async connection =>
    {
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM operators WHERE role = $role AND disabled = 0";
        command.Parameters.AddWithValue("$role", OperatorRoles.Admin);
        return Convert.ToInt32(await command.ExecuteScalarAsync(cancellationToken));
    });

    public Task CreateAsync(OperatorAccount account, CancellationToken cancellationToken) => _db.WriteAsync(async connection =>
    {
        await using var command = connection.CreateCommand();
        command.CommandText = "INSERT INTO operators (id, email, role, disabled, created, json) VALUES ($id, $email, $role, $disabled, $created, $json)";
        Bind(command, account);
        try
        {
            return await command.ExecuteNonQueryAsync(cancellationToken);
        }
        catch (SqliteException ex) when (ex.SqliteErrorCode == 19 && ex.Message.Contains("operators.email", StringComparison.Ordinal))
        {
            throw new OperatorEmailTakenException(account.Email);
        }
    }, cancellationToken);

    public async Task<bool> UpdateAsync(OperatorAccount account, CancellationToken cancellationToken) => await _db.WriteAsync(async connection =>
    {
        await using var command = connection.CreateCommand();
        command.CommandText = "UPDATE operators SET email = $email, role = $role, disabled = $disabled, json = $json WHERE id = $id";
        Bind(command, account);
        try
        {
            return await command.ExecuteNonQueryAsync(cancellationToken);
        }
        catch (SqliteException ex) when (ex.SqliteErrorCode == 19 && ex.Message.Contains("operators.email", StringComparison.Ordinal))
        {
            throw new OperatorEmailTakenException(account.Email);
        }
    }, cancellationToken) == 1;

    public async Task<bool> DeleteAsync(string id, CancellationToken cancellationToken) => await _db.WriteAsync(async connection =>
    {
        await using var command = connection.CreateCommand();
        command.CommandText = "DELETE FROM operators WHERE id = $id";
        command.Parameters.AddWithValue("$id", id);
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }, cancellationToken) == 1;

    private static void Bind(SqliteCommand command, OperatorAccount account)
    {
        account = account with { Email = OperatorAccount.NormalizeEmail(account.Email) };
        command.Parameters.AddWithValue("$id", account.Id);
        command.Parameters.AddWithValue("$email", OperatorAccount.NormalizeEmail(account.Email));
        command.Parameters.AddWithValue("$role", account.Role);
        command.Parameters.AddWithValue("$disabled", account.Disabled ? 1 : 0);
        command.Parameters.AddWithValue("$created", SqliteWorkspace.SortableTime(account.Created));
        command.Parameters.AddWithValue("$json", JsonSerializer.Serialize(account, ArchiveJson.Options));
    }
}
