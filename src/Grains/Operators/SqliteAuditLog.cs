using System.Text.Json;
using MessengerAutoReply.Archive;
using Microsoft.Data.Sqlite;

namespace MessengerAutoReply.Operators;

/// <summary>The audit log in the embedded default: a table of the archive's SQLite file.</summary>
public sealed class SqliteAuditLog : IAuditLog
{
    private readonly SqliteWorkspace _db;

    public SqliteAuditLog(string databasePath)
    {
        _db = new SqliteWorkspace(databasePath, """
            CREATE TABLE IF NOT EXISTS audit (
                id TEXT PRIMARY KEY,
                at TEXT NOT NULL,
                operator_id TEXT,
                chat_id TEXT,
                action TEXT NOT NULL,
                json TEXT NOT NULL);
            CREATE INDEX IF NOT EXISTS audit_at ON audit (at DESC);
            """);
    }

    public Task RecordAsync(AuditEntry entry, CancellationToken cancellationToken) => _db.WriteAsync(async connection =>
    {
        await using var command = connection.CreateCommand();
        command.CommandText = """
            INSERT INTO audit (id, at, operator_id, chat_id, action, json) VALUES ($id, $at, $operatorId, $chatId, $action, $json)
            ON CONFLICT (id) DO NOTHING
            """;
        command.Parameters.AddWithValue("$id", entry.Id);
        command.Parameters.AddWithValue("$at", SqliteWorkspace.SortableTime(entry.At));
        command.Parameters.AddWithValue("$operatorId", (object?)entry.OperatorId ?? DBNull.Value);
        command.Parameters.AddWithValue("$chatId", (object?)entry.ChatId ?? DBNull.Value);
        command.Parameters.AddWithValue("$action", entry.Action);
        command.Parameters.AddWithValue("$json", JsonSerializer.Serialize(entry, ArchiveJson.Options));
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }, cancellationToken);

    public Task<Paged<AuditEntry>> ListAsync(AuditQuery query, CancellationToken cancellationToken) => _db.ReadAsync(async connection =>
    {
        await using var count = connection.CreateCommand();
        await using var list = connection.CreateCommand();
        var where = new List<string>();
        void Filter(string column, string? value)
        {
            if (value is null)
            {
                return;
            }
            where.Add($"{column} = ${column}");
            count.Parameters.AddWithValue("$" + column, value);
            list.Parameters.AddWithValue("$" + column, value);
        }
        Filter("operator_id", query.OperatorId);
        Filter("chat_id", query.ChatId);
        Filter("action", query.Action);
        var filter = where.Count == 0 ? "" : "WHERE " + string.Join(" AND ", where);
        count.CommandText = $"SELECT COUNT(*) FROM audit {filter}";
        list.CommandText = $"SELECT json FROM audit {filter} ORDER BY at DESC, rowid DESC LIMIT $limit OFFSET $offset";
        list.Parameters.AddWithValue("$limit", query.PerPage);
        list.Parameters.AddWithValue("$offset", (long)(query.Page - 1) * query.PerPage);
        var total = Convert.ToInt32(await count.ExecuteScalarAsync(cancellationToken));
        var items = new List<AuditEntry>();
        await using var reader = await list.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            items.Add(JsonSerializer.Deserialize<AuditEntry>(reader.GetString(0), ArchiveJson.Options)!);
        }
        return Paged.Of<AuditEntry>(query.Page, query.PerPage, total, items);
    });
}
