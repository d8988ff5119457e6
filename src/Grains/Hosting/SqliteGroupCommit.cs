using System.Collections.Concurrent;
using System.Threading.Channels;
using Microsoft.Data.Sqlite;

namespace MessengerAutoReply.Hosting;

/// <summary>
/// Group commit for one SQLite file: writes from many grains queue here, and one loop runs everything queued in
/// one transaction with one fsync, then acknowledges each write. A write's task completes only after the
/// COMMIT that holds it returned (synchronous = FULL in WAL mode: the commit is on disk), so "accepted means
/// durable" (decisions 4 and 5) holds exactly as with a transaction per write; only the fsync is shared.
/// There is no waiting to fill a group: while one commit runs the next group queues up, so a single writer
/// pays one commit and a thousand writers pay a few.
/// Each write runs in a savepoint: one that throws is rolled back and fails alone, the rest of its group commits.
/// The loop takes the file's <see cref="SqliteWriteGate"/> per group, so other writers of the same file in this
/// process (the pending-work registry) still never collide with it.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "One per file for the life of the process, like SqliteWriteGate's gates; its connection closes with the process.")]
public sealed class SqliteGroupCommit
{
    /// <summary>Writes in one transaction at most: bounds the time a group holds the file and its rollback cost.</summary>
    public const int MaxGroup = 512;

    private static readonly ConcurrentDictionary<string, SqliteGroupCommit> Files = new(StringComparer.Ordinal);

    private readonly string _databasePath;
    private readonly string _connectionString;
    private readonly Channel<Write> _queue = Channel.CreateUnbounded<Write>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Dictionary<string, SqliteCommand> _commands = new(StringComparer.Ordinal);
    private SqliteConnection? _connection;
    private long _groups;
    private long _writes;

    private SqliteGroupCommit(string databasePath, string connectionString)
    {
        _databasePath = databasePath;
        _connectionString = connectionString;
        _ = Task.Run(LoopAsync);
    }

    /// <summary>The one committer of this file in this process.</summary>
    public static SqliteGroupCommit For(string databasePath, string connectionString) =>
        Files.GetOrAdd(Path.GetFullPath(databasePath), path => new SqliteGroupCommit(path, connectionString));

    /// <summary>Transactions committed and writes they held, since start (writes ÷ groups is the group size).</summary>
    public (long Groups, long Writes) Counts => (Interlocked.Read(ref _groups), Interlocked.Read(ref _writes));

    /// <summary>
    /// Queues <paramref name="write"/>; it runs on the committer's connection inside a group's transaction (get
    /// its commands from the given <see cref="Commands"/>), and the task completes after that group's COMMIT.
    /// </summary>
    public Task<T> WriteAsync<T>(Func<Commands, T> write)
    {
        var op = new Write<T>(write);
        // Unbounded and never completed: the write is always queued.
        _queue.Writer.TryWrite(op);
        return op.Task;
    }

    private async Task LoopAsync()
    {
        var group = new List<Write>(MaxGroup);
        while (await _queue.Reader.WaitToReadAsync())
        {
            group.Clear();
            while (group.Count < MaxGroup && _queue.Reader.TryRead(out var op))
            {
                group.Add(op);
            }
            await SqliteWriteGate.WriteAsync(_databasePath, () =>
            {
                Commit(group);
                return Task.FromResult(0);
            });
        }
    }

    private void Commit(List<Write> group)
    {
        try
        {
            var connection = Connection();
            using var transaction = connection.BeginTransaction(deferred: false);
            var commands = new Commands(this, transaction);
            var savepoint = Command("SAVEPOINT w", transaction);
            var release = Command("RELEASE w", transaction);
            var rollback = Command("ROLLBACK TO w", transaction);
            foreach (var op in group)
            {
                savepoint.ExecuteNonQuery();
                try
                {
                    op.Run(commands);
                    release.ExecuteNonQuery();
                }
                catch (Exception ex) when (ex is not OutOfMemoryException)
                {
                    rollback.ExecuteNonQuery();
                    release.ExecuteNonQuery();
                    op.Failed = ex;
                }
            }
            transaction.Commit();
            Interlocked.Increment(ref _groups);
            Interlocked.Add(ref _writes, group.Count);
            foreach (var op in group)
            {
                op.Complete();
            }
        }
        catch (Exception ex)
        {
            // Nothing of this group is known durable: each write fails (the grain's write throws, the caller retries).
            foreach (var op in group)
            {
                op.Fail(ex);
            }
            Reset();
        }
    }

    private SqliteConnection Connection()
    {
        if (_connection is null)
        {
            _connection = new SqliteConnection(_connectionString);
            _connection.Open();
            using var pragma = _connection.CreateCommand();
            // FULL, not NORMAL: with NORMAL a WAL commit may be lost on power failure; an ack must mean on disk.
            pragma.CommandText = "PRAGMA synchronous = FULL";
            pragma.ExecuteNonQuery();
        }
        return _connection;
    }

    private SqliteCommand Command(string sql, SqliteTransaction transaction)
    {
        if (!_commands.TryGetValue(sql, out var command))
        {
            command = Connection().CreateCommand();
            command.CommandText = sql;
            _commands[sql] = command;
        }
        command.Transaction = transaction;
        command.Parameters.Clear();
        return command;
    }

    /// <summary>After a failed commit the connection's state is unknown: start over with a fresh one.</summary>
    private void Reset()
    {
        foreach (var command in _commands.Values)
        {
            command.Dispose();
        }
        _commands.Clear();
        _connection?.Dispose();
        _connection = null;
    }

    /// <summary>What a write gets: prepared commands of the committer's connection, bound to the group's transaction.</summary>
    public readonly struct Commands
    {
        private readonly SqliteGroupCommit _owner;
        private readonly SqliteTransaction _transaction;

        internal Commands(SqliteGroupCommit owner, SqliteTransaction transaction)
        {
            _owner = owner;
            _transaction = transaction;
        }

        /// <summary>The command for <paramref name="sql"/>, prepared once per connection, parameters cleared.</summary>
        public SqliteCommand For(string sql) => _owner.Command(sql, _transaction);
    }

    private abstract class Write
    {
        public Exception? Failed { get; set; }

        public abstract void Run(Commands commands);

        public abstract void Complete();

        public abstract void Fail(Exception ex);
    }

    private sealed class Write<T>(Func<Commands, T> write) : Write
    {
        private readonly TaskCompletionSource<T> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private T _result = default!;

        public Task<T> Task => _done.Task;

        public override void Run(Commands commands) => _result = write(commands);

        public override void Complete()
        {
            if (Failed is { } ex)
            {
                _done.TrySetException(ex);
            }
            else
            {
                _done.TrySetResult(_result);
            }
        }

        public override void Fail(Exception ex) => _done.TrySetException(ex);
    }
}
