using Microsoft.Data.Sqlite;
using Orleans.Storage;

namespace MessengerAutoReply.Hosting;

/// <summary>
/// Durable grain state for the embedded default (decision 5): one SQLite file in the data folder. Orleans'
/// ADO.NET provider ships no SQLite schema, so this small provider is ours. The ETag is the row's version.
/// Writes go through the file's <see cref="SqliteGroupCommit"/>: many chats' writes share one transaction, and
/// each returns only once that transaction is committed. State is Orleans' binary format
/// (<see cref="GrainStateSerializer"/>, which still reads rows written as JSON).
/// </summary>
public sealed class SqliteGrainStorage : IGrainStorage
{
    private const string Insert = """
        INSERT INTO grain_state (state_name, grain_id, version, data) VALUES ($name, $id, 1, $data)
        ON CONFLICT DO NOTHING
        """;

    private const string Update = """
        UPDATE grain_state SET version = $version, data = $data
        WHERE state_name = $name AND grain_id = $id AND version = $expected
        """;

    private const string Delete = "DELETE FROM grain_state WHERE state_name = $name AND grain_id = $id";

    private readonly string _connectionString;
    private readonly IGrainStorageSerializer _serializer;
    private readonly SqliteGroupCommit _commit;

    public SqliteGrainStorage(string databasePath, IGrainStorageSerializer serializer)
    {
        _serializer = serializer;
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(databasePath))!);
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = databasePath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            DefaultTimeout = 30,
        }.ToString();
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = """
            PRAGMA journal_mode = WAL;
            CREATE TABLE IF NOT EXISTS grain_state (
                state_name TEXT NOT NULL,
                grain_id TEXT NOT NULL,
                version INTEGER NOT NULL,
                data BLOB NOT NULL,
                PRIMARY KEY (state_name, grain_id));
            """;
        command.ExecuteNonQuery();
        _commit = SqliteGroupCommit.For(databasePath, _connectionString);
    }

    public async Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        await using var connection = Open();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT version, data FROM grain_state WHERE state_name = $name AND grain_id = $id";
        command.Parameters.AddWithValue("$name", stateName);
        command.Parameters.AddWithValue("$id", grainId.ToString());
        await using var reader = await command.ExecuteReaderAsync();
        if (!await reader.ReadAsync())
        {
            grainState.State = Activator.CreateInstance<T>();
            grainState.ETag = null;
            grainState.RecordExists = false;
            return;
        }
        grainState.ETag = reader.GetInt64(0).ToString(System.Globalization.CultureInfo.InvariantCulture);
        grainState.State = _serializer.Deserialize<T>(new BinaryData((byte[])reader.GetValue(1)));
        grainState.RecordExists = true;
    }

    public async Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        var data = _serializer.Serialize(grainState.State).ToArray();
        var id = grainId.ToString();
        var expected = grainState.ETag is null ? 0 : long.Parse(grainState.ETag, System.Globalization.CultureInfo.InvariantCulture);
        var version = expected + 1;
        var written = await _commit.WriteAsync(commands =>
        {
            var command = commands.For(expected == 0 ? Insert : Update);
            command.Parameters.AddWithValue("$name", stateName);
            command.Parameters.AddWithValue("$id", id);
            command.Parameters.AddWithValue("$data", data);
            if (expected != 0)
            {
                command.Parameters.AddWithValue("$version", version);
                command.Parameters.AddWithValue("$expected", expected);
            }
            return command.ExecuteNonQuery();
        });
        if (written != 1)
        {
            throw new InconsistentStateException($"State of {grainId} changed underneath (expected version {grainState.ETag ?? "none"}).");
        }
        grainState.ETag = version.ToString(System.Globalization.CultureInfo.InvariantCulture);
        grainState.RecordExists = true;
    }

    public async Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        var id = grainId.ToString();
        await _commit.WriteAsync(commands =>
        {
            var command = commands.For(Delete);
            command.Parameters.AddWithValue("$name", stateName);
            command.Parameters.AddWithValue("$id", id);
            return command.ExecuteNonQuery();
        });
        grainState.ETag = null;
        grainState.RecordExists = false;
        grainState.State = Activator.CreateInstance<T>();
    }

    private SqliteConnection Open()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        return connection;
    }
}
