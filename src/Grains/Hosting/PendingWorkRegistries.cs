using MessengerAutoReply.Chats;
using Microsoft.Data.Sqlite;
using StackExchange.Redis;

namespace MessengerAutoReply.Hosting;

/// <summary>Embedded default: the list lives beside grain state in the data folder.</summary>
public sealed class SqlitePendingWorkRegistry : IPendingWorkRegistry
{
    private readonly string _connectionString;
    private readonly string _databasePath;

    public SqlitePendingWorkRegistry(string databasePath)
    {
        _databasePath = databasePath;
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(databasePath))!);
        _connectionString = new SqliteConnectionStringBuilder { DataSource = databasePath, DefaultTimeout = 30 }.ToString();
        using var connection = new SqliteConnection(_connectionString);
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode = WAL; CREATE TABLE IF NOT EXISTS pending_chats (chat_id TEXT PRIMARY KEY)";
        command.ExecuteNonQuery();
    }

    public async Task SetAsync(string chatId, bool pending)
    {
        await using var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = pending
            ? "INSERT INTO pending_chats (chat_id) VALUES ($id) ON CONFLICT DO NOTHING"
            : "DELETE FROM pending_chats WHERE chat_id = $id";
        command.Parameters.AddWithValue("$id", chatId);
        await SqliteWriteGate.WriteAsync(_databasePath, () => command.ExecuteNonQueryAsync());
    }

    public async Task<IReadOnlyList<string>> ListAsync(CancellationToken cancellationToken)
    {
        await using var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT chat_id FROM pending_chats";
        var ids = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            ids.Add(reader.GetString(0));
        }
        return ids;
    }
}

/// <summary>Cluster mode: a Redis set that every silo's sweeper reads.</summary>
public sealed class RedisPendingWorkRegistry(IConnectionMultiplexer redis, string serviceId) : IPendingWorkRegistry
{
    private readonly RedisKey _key = $"{serviceId}/pending-chats";

    public Task SetAsync(string chatId, bool pending) =>
        pending ? redis.GetDatabase().SetAddAsync(_key, chatId) : redis.GetDatabase().SetRemoveAsync(_key, chatId);

    public async Task<IReadOnlyList<string>> ListAsync(CancellationToken cancellationToken)
    {
        var members = await redis.GetDatabase().SetMembersAsync(_key);
        return [.. members.Select(m => m.ToString())];
    }
}
