using System.Text.Json;
using MessengerAutoReply.Archive;
using Microsoft.Data.Sqlite;

namespace MessengerAutoReply.Operators;

/// <summary>Saved replies in the embedded default: a table of the archive's SQLite file.</summary>
public sealed class SqliteCannedResponseStore : ICannedResponseStore
{
    private readonly SqliteWorkspace _db;

    public SqliteCannedResponseStore(string databasePath)
    {
        _db = new SqliteWorkspace(databasePath, """
            CREATE TABLE IF NOT EXISTS canned_responses (
                id TEXT PRIMARY KEY,
                short_code TEXT NOT NULL UNIQUE,
                json TEXT NOT NULL);
            """);
    }

    public Task<Paged<CannedResponse>> ListAsync(int page, int perPage, CancellationToken cancellationToken) => _db.ReadAsync(async connection =>
    {
        await using var count = connection.CreateCommand();
        count.CommandText = "SELECT COUNT(*) FROM canned_responses";
        var total = Convert.ToInt32(await count.ExecuteScalarAsync(cancellationToken));
        await using var list = connection.CreateCommand();
        list.CommandText = "SELECT json FROM canned_responses ORDER BY short_code LIMIT $limit OFFSET $offset";
        list.Parameters.AddWithValue("$limit", perPage);
        list.Parameters.AddWithValue("$offset", (long)(page - 1) * perPage);
        var items = new List<CannedResponse>();
        await using var reader = await list.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            items.Add(JsonSerializer.Deserialize<CannedResponse>(reader.GetString(0), ArchiveJson.Options)!);
        }
        return Paged.Of<CannedResponse>(page, perPage, total, items);
    });

    public Task<CannedResponse?> GetAsync(string id, CancellationToken cancellationToken) => _db.ReadAsync(async connection =>
    {
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT json FROM canned_responses WHERE id = $id";
        command.Parameters.AddWithValue("$id", id);
        var json = (string?)await command.ExecuteScalarAsync(cancellationToken);
        return json is null ? null : JsonSerializer.Deserialize<CannedResponse>(json, ArchiveJson.Options);
    });

    public Task CreateAsync(CannedResponse response, CancellationToken cancellationToken) =>
        WriteAsync("INSERT INTO canned_responses (id, short_code, json) VALUES ($id, $shortCode, $json)", response, cancellationToken);

    public async Task<bool> UpdateAsync(CannedResponse response, CancellationToken cancellationToken) =>
        await WriteAsync("UPDATE canned_responses SET short_code = $shortCode, json = $json WHERE id = $id", response, cancellationToken) == 1;

    public async Task<bool> DeleteAsync(string id, CancellationToken cancellationToken) => await _db.WriteAsync(async connection =>
    {
        await using var command = connection.CreateCommand();
        command.CommandText = "DELETE FROM canned_responses WHERE id = $id";
        command.Parameters.AddWithValue("$id", id);
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }, cancellationToken) == 1;

    private Task<int> WriteAsync(string sql, CannedResponse response, CancellationToken cancellationToken) => _db.WriteAsync(async connection =>
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Parameters.AddWithValue("$id", response.Id);
        command.Parameters.AddWithValue("$shortCode", response.ShortCode);
        command.Parameters.AddWithValue("$json", JsonSerializer.Serialize(response, ArchiveJson.Options));
        try
        {
            return await command.ExecuteNonQueryAsync(cancellationToken);
        }
        catch (SqliteException ex) when (ex.SqliteErrorCode == 19 && ex.Message.Contains("short_code", StringComparison.Ordinal))
        {
            throw new ShortCodeTakenException(response.ShortCode);
        }
    }, cancellationToken);
}
