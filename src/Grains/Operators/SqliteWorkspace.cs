using MessengerAutoReply.Archive;
using Microsoft.Data.Sqlite;

namespace MessengerAutoReply.Operators;

/// <summary>
/// The SQLite file the operator tables live in (the archive's, DATA_DIR/archive.db), opened as the archive opens
/// it: WAL, writes through <see cref="Hosting.SqliteWriteGate"/>, failures as <see cref="ArchiveUnavailableException"/>.
/// </summary>
internal sealed class SqliteWorkspace
{
    public SqliteWorkspace(string databasePath, string schema)
    {
        DatabasePath = databasePath;
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(databasePath))!);
        ConnectionString = new SqliteConnectionStringBuilder
        {
            DataSource = databasePath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Shared,
            DefaultTimeout = 30,
        }.ToString();
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode = WAL;" + schema;
        command.ExecuteNonQuery();
    }

    public string DatabasePath { get; }

    private string ConnectionString { get; }

    public SqliteConnection Open()
    {
        var connection = new SqliteConnection(ConnectionString);
        connection.Open();
        return connection;
    }

    public Task<T> WriteAsync<T>(Func<SqliteConnection, Task<T>> write, CancellationToken cancellationToken) =>
        Run(() => Hosting.SqliteWriteGate.WriteAsync(DatabasePath, async () =>
        {
            await using var connection = Open();
            return await write(connection);
        }, cancellationToken));

    public Task<T> ReadAsync<T>(Func<SqliteConnection, Task<T>> read) => Run(async () =>
    {
        await using var connection = Open();
        return await read(connection);
    });

    private static async Task<T> Run<T>(Func<Task<T>> action)
    {
        try
        {
            return await action();
        }
        catch (SqliteException ex)
        {
            throw new ArchiveUnavailableException($"SQLite: {ex.Message}", ex);
        }
    }

    public static string SortableTime(DateTimeOffset value) => value.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffffffZ");
}
