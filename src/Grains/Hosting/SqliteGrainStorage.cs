using Microsoft.Data.Sqlite;
using Orleans.Serialization;
using Orleans.Storage;

namespace MessengerAutoReply.Hosting;

/// <summary>
/// Durable grain state for the embedded default (decision 5): one SQLite file in the data folder. Orleans'
/// ADO.NET provider ships no SQLite schema, so this small provider is ours. The ETag is the row's version.
/// </summary>
public sealed class SqliteGrainStorage : IGrainStorage
{
    private readonly string _connectionString;
    private readonly string _databasePath;
    private readonly Serializer _serializer;

    public SqliteGrainStorage(string databasePath, Serializer serializer)
    {
        _serializer = serializer;
        _databasePath = databasePath;
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
        grainState.State = _serializer.Deserialize<T>((byte[])reader.GetValue(1));
        grainState.RecordExists = true;
    }

    public async Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        var data = _serializer.SerializeToArray(grainState.State);
        await using var connection = Open();
        await using var command = connection.CreateCommand();
        long version;
        if (grainState.ETag is null)
        {
            version = 1;
            command.CommandText = """
                INSERT INTO grain_state (state_name, grain_id, version, data) VALUES ($name, $id, 1, $data)
                ON CONFLICT DO NOTHING
                """;
        }
        else
        {
            version = long.Parse(grainState.ETag, System.Globalization.CultureInfo.InvariantCulture) + 1;
            command.CommandText = """
                UPDATE grain_state SET version = $version, data = $data
                WHERE state_name = $name AND grain_id = $id AND version = $expected
                """;
            command.Parameters.AddWithValue("$version", version);
            command.Parameters.AddWithValue("$expected", version - 1);
        }
        command.Parameters.AddWithValue("$name", stateName);
        command.Parameters.AddWithValue("$id", grainId.ToString());
        command.Parameters.AddWithValue("$data", data);
        if (await SqliteWriteGate.WriteAsync(_databasePath, () => command.ExecuteNonQueryAsync()) != 1)
        {
            throw new InconsistentStateException($"State of {grainId} changed underneath (expected version {grainState.ETag ?? "none"}).");
        }
        grainState.ETag = version.ToString(System.Globalization.CultureInfo.InvariantCulture);
        grainState.RecordExists = true;
    }

    public async Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        await using var connection = Open();
        await using var command = connection.CreateCommand();
        command.CommandText = "DELETE FROM grain_state WHERE state_name = $name AND grain_id = $id";
        command.Parameters.AddWithValue("$name", stateName);
        command.Parameters.AddWithValue("$id", grainId.ToString());
        await SqliteWriteGate.WriteAsync(_databasePath, () => command.ExecuteNonQueryAsync());
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
