using System.Text.Json;
using MessengerAutoReply.Chats;
using Microsoft.Data.Sqlite;

namespace MessengerAutoReply.Archive;

/// <summary>
/// The embedded archive: one SQLite file under the data folder. Rows keep the full record as JSON beside the
/// columns that are queried, so adding a field never needs a migration.
/// </summary>
public sealed class SqliteChatArchive : IBatchingChatArchive
{
    private readonly string _connectionString;
    private readonly string _databasePath;

    public SqliteChatArchive(string databasePath)
    {
        _databasePath = databasePath;
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(databasePath))!);
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = databasePath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Shared,
            DefaultTimeout = 30,
        }.ToString();
        using var connection = Open();
        Execute(connection, """
            PRAGMA journal_mode = WAL;
            CREATE TABLE IF NOT EXISTS chats (
                id TEXT PRIMARY KEY,
                source TEXT NOT NULL,
                platform_chat_id TEXT NOT NULL,
                name TEXT,
                updated TEXT NOT NULL,
                json TEXT NOT NULL);
            CREATE INDEX IF NOT EXISTS chats_updated ON chats (updated DESC);
            CREATE UNIQUE INDEX IF NOT EXISTS chats_platform ON chats (source, platform_chat_id);
            CREATE TABLE IF NOT EXISTS messages (
                id TEXT PRIMARY KEY,
                chat_id TEXT NOT NULL,
                timestamp TEXT NOT NULL,
                json TEXT NOT NULL);
            CREATE INDEX IF NOT EXISTS messages_chat ON messages (chat_id, timestamp);
            """);
    }

    public Task UpsertChatAsync(Chat chat, CancellationToken cancellationToken) =>
        UpsertBatchAsync([(chat, null)], cancellationToken);

    public Task UpsertMessageAsync(ChatMessage message, CancellationToken cancellationToken) =>
        UpsertBatchAsync([(null, message)], cancellationToken);

    public async Task UpsertBatchAsync(IReadOnlyList<(Chat? Chat, ChatMessage? Message)> records, CancellationToken cancellationToken)
    {
        await Run(() => Hosting.SqliteWriteGate.WriteAsync(_databasePath, async () =>
        {
            await using var connection = Open();
            await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
            foreach (var (chat, message) in records)
            {
                await using var command = connection.CreateCommand();
                command.Transaction = transaction;
                if (chat is not null)
                {
                    BindChat(command, chat);
                    await command.ExecuteNonQueryAsync(cancellationToken);
                }
                if (message is not null)
                {
                    command.Parameters.Clear();
                    BindMessage(command, message);
                    await command.ExecuteNonQueryAsync(cancellationToken);
                }
            }
            await transaction.CommitAsync(cancellationToken);
            return 0;
        }, cancellationToken));
    }

    private static void BindChat(SqliteCommand command, Chat chat)
    {
        command.CommandText = """
            INSERT INTO chats (id, source, platform_chat_id, name, updated, json)
            VALUES ($id, $source, $platformChatId, $name, $updated, $json)
            ON CONFLICT (id) DO UPDATE SET name = excluded.name, updated = excluded.updated, json = excluded.json
            """;
        command.Parameters.AddWithValue("$id", chat.Id);
        command.Parameters.AddWithValue("$source", chat.Source);
        command.Parameters.AddWithValue("$platformChatId", chat.PlatformChatId);
        command.Parameters.AddWithValue("$name", (object?)chat.Name ?? DBNull.Value);
        command.Parameters.AddWithValue("$updated", SortableTime(chat.Updated));
        command.Parameters.AddWithValue("$json", JsonSerializer.Serialize(chat, ArchiveJson.Options));
    }

    private static void BindMessage(SqliteCommand command, ChatMessage message)
    {
        command.CommandText = """
            INSERT INTO messages (id, chat_id, timestamp, json) VALUES ($id, $chatId, $timestamp, $json)
            ON CONFLICT (id) DO UPDATE SET timestamp = excluded.timestamp, json = excluded.json
            """;
        command.Parameters.AddWithValue("$id", message.Id);
        command.Parameters.AddWithValue("$chatId", message.ChatId);
        command.Parameters.AddWithValue("$timestamp", SortableTime(message.Timestamp));
        command.Parameters.AddWithValue("$json", JsonSerializer.Serialize(message, ArchiveJson.Options));
    }

    public async Task<Chat?> GetChatAsync(string chatId, CancellationToken cancellationToken)
    {
        await using var connection = Open();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT json FROM chats WHERE id = $id";
        command.Parameters.AddWithValue("$id", chatId);
        var json = (string?)await Run(() => command.ExecuteScalarAsync(cancellationToken));
        return json is null ? null : JsonSerializer.Deserialize<Chat>(json, ArchiveJson.Options);
    }

    public async Task<Paged<Chat>> ListChatsAsync(ChatQuery query, CancellationToken cancellationToken)
    {
        await using var connection = Open();
        var where = new List<string>();
        await using var count = connection.CreateCommand();
        await using var list = connection.CreateCommand();
        if (!string.IsNullOrEmpty(query.Source))
        {
            where.Add("source = $source");
            count.Parameters.AddWithValue("$source", query.Source);
            list.Parameters.AddWithValue("$source", query.Source);
        }
        if (!string.IsNullOrWhiteSpace(query.Search))
        {
            where.Add("name LIKE $q ESCAPE '\\'");
            var pattern = "%" + query.Search.Trim().Replace("\\", "\\\\").Replace("%", "\\%").Replace("_", "\\_") + "%";
            count.Parameters.AddWithValue("$q", pattern);
            list.Parameters.AddWithValue("$q", pattern);
        }
        var filter = where.Count == 0 ? "" : "WHERE " + string.Join(" AND ", where);
        count.CommandText = $"SELECT COUNT(*) FROM chats {filter}";
        list.CommandText = $"SELECT json FROM chats {filter} ORDER BY updated DESC, id LIMIT $limit OFFSET $offset";
        list.Parameters.AddWithValue("$limit", query.PerPage);
        list.Parameters.AddWithValue("$offset", (long)(query.Page - 1) * query.PerPage);
        var total = Convert.ToInt32(await Run(() => count.ExecuteScalarAsync(cancellationToken)));
        var items = await ReadAll<Chat>(list, cancellationToken);
        return Paged.Of(query.Page, query.PerPage, total, items);
    }

    public async Task<Paged<ChatMessage>> ListMessagesAsync(string chatId, MessageQuery query, CancellationToken cancellationToken)
    {
        await using var connection = Open();
        await using var count = connection.CreateCommand();
        count.CommandText = "SELECT COUNT(*) FROM messages WHERE chat_id = $chatId";
        count.Parameters.AddWithValue("$chatId", chatId);
        await using var list = connection.CreateCommand();
        var order = query.NewestFirst ? "DESC" : "ASC";
        list.CommandText = $"SELECT json FROM messages WHERE chat_id = $chatId ORDER BY timestamp {order}, rowid {order} LIMIT $limit OFFSET $offset";
        list.Parameters.AddWithValue("$chatId", chatId);
        list.Parameters.AddWithValue("$limit", query.PerPage);
        list.Parameters.AddWithValue("$offset", (long)(query.Page - 1) * query.PerPage);
        var total = Convert.ToInt32(await Run(() => count.ExecuteScalarAsync(cancellationToken)));
        var items = await ReadAll<ChatMessage>(list, cancellationToken);
        return Paged.Of(query.Page, query.PerPage, total, items);
    }

    private SqliteConnection Open()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        return connection;
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private static async Task<IReadOnlyList<T>> ReadAll<T>(SqliteCommand command, CancellationToken cancellationToken)
    {
        var items = new List<T>();
        await using var reader = await Run(() => command.ExecuteReaderAsync(cancellationToken));
        while (await reader.ReadAsync(cancellationToken))
        {
            items.Add(JsonSerializer.Deserialize<T>(reader.GetString(0), ArchiveJson.Options)!);
        }
        return items;
    }

    private static async Task<T> Run<T>(Func<Task<T>> action)
    {
        try
        {
            return await action();
        }
        catch (SqliteException ex)
        {
            throw new ArchiveUnavailableException($"SQLite archive: {ex.Message}", ex);
        }
    }

    // Fixed-width UTC text sorts like the instant it names.
    private static string SortableTime(DateTimeOffset value) => value.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffffffZ");
}
