using MessengerAutoReply.Chats;
using MessengerAutoReply.Hosting;
using MessengerAutoReply.Tests.Infrastructure;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Serialization;
using Orleans.Storage;

namespace MessengerAutoReply.Tests.Hosting;

/// <summary>
/// The embedded default's grain storage on its own: group commit (many writes, one transaction, each acknowledged
/// after it), optimistic concurrency, and state stored as Orleans' default JSON still read (then rewritten binary).
/// </summary>
public sealed class SqliteGrainStorageTests : IDisposable
{
    private static readonly IServiceProvider Services = BuildServices();
    private readonly TempDir _dir = new();

    private static IServiceProvider BuildServices()
    {
        // The serializers an Orleans process has (binary, and the default JSON one): a client's services, never started.
        var builder = Host.CreateApplicationBuilder();
        builder.UseOrleansClient(client => client.UseLocalhostClustering());
        builder.Services.AddGrainStateSerializer();
        return builder.Build().Services;
    }

    private string Database => Path.Combine(_dir.Path, "grains.db");

    private SqliteGrainStorage Storage() => new(Database, Services.GetRequiredService<IGrainStorageSerializer>());

    private static GrainId Chat(int i) => GrainId.Create("chat", $"chat{i:D5}");

    private static ChatState State(string name, int messages = 3) => new()
    {
        Chat = new Chat
        {
            Id = "c1", Source = Sources.Telegram, Platform = Platforms.Telegram, PlatformChatId = "42", Name = name,
        },
        Recent = [.. Enumerable.Range(0, messages).Select(i => new ChatMessage
        {
            Id = $"m{i}", PlatformMessageId = $"{i}", Source = Sources.Telegram, Platform = Platforms.Telegram, ChatId = "c1",
            Content = $"message {i} 😀", Timestamp = new DateTimeOffset(2026, 1, 1, 0, 0, i, TimeSpan.Zero),
        })],
    };

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Many_concurrent_writes_share_transactions_and_each_is_readable_once_acknowledged()
    {
        var storage = Storage();
        var commit = SqliteGroupCommit.For(Database, $"Data Source={Database}");
        var before = commit.Counts;
        var writes = Enumerable.Range(0, 400).Select(async i =>
        {
            var state = new GrainState<ChatState>(State($"chat {i}"));
            await storage.WriteStateAsync("chat", Chat(i), state);
            // Acknowledged means committed: another connection sees it at once.
            var read = new GrainState<ChatState>(new ChatState());
            await Storage().ReadStateAsync("chat", Chat(i), read);
            Assert.True(read.RecordExists);
            Assert.Equal($"chat {i}", read.State!.Chat!.Name);
            Assert.Equal("1", state.ETag);
        });
        await Task.WhenAll(writes);
        var after = commit.Counts;
        Assert.Equal(400, after.Writes - before.Writes);
        // Grouped: far fewer transactions than writes (one per write would be 400).
        Assert.True(after.Groups - before.Groups < 400, $"{after.Groups - before.Groups} transactions for 400 writes");
    }

    [Fact]
    public async Task A_stale_etag_fails_alone_and_the_rest_of_its_group_commits()
    {
        var storage = Storage();
        var first = new GrainState<ChatState>(State("first"));
        await storage.WriteStateAsync("chat", Chat(1), first);
        var stale = new GrainState<ChatState>(State("stale"), "7") { RecordExists = true };
        var others = Enumerable.Range(10, 50).Select(i => storage.WriteStateAsync("chat", Chat(i), new GrainState<ChatState>(State($"other {i}")))).ToList();
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync("chat", Chat(1), stale));
        await Task.WhenAll(others);
        var read = new GrainState<ChatState>(new ChatState());
        await storage.ReadStateAsync("chat", Chat(1), read);
        Assert.Equal("first", read.State!.Chat!.Name);
        await storage.ReadStateAsync("chat", Chat(30), read);
        Assert.Equal("other 30", read.State!.Chat!.Name);
    }

    [Fact]
    public async Task State_stored_as_orleans_default_json_is_read_and_rewritten_in_binary()
    {
        var storage = Storage();
        // A row as Orleans' default serializer (Newtonsoft JSON, what the memory and Redis providers use unless told) wrote it.
        var json = new JsonGrainStorageSerializer(Services.GetRequiredService<OrleansJsonSerializer>());
        var old = json.Serialize(State("from json", messages: 5)).ToArray();
        Assert.Equal((byte)'{', old[0]);
        var seed = new GrainState<ChatState>(new ChatState());
        await storage.WriteStateAsync("chat", Chat(1), seed);
        await using (var connection = new SqliteConnection($"Data Source={Database}"))
        {
            await connection.OpenAsync(TestContext.Current.CancellationToken);
            await using var update = connection.CreateCommand();
            update.CommandText = "UPDATE grain_state SET data = $data WHERE grain_id = $id";
            update.Parameters.AddWithValue("$data", old);
            update.Parameters.AddWithValue("$id", Chat(1).ToString());
            Assert.Equal(1, await update.ExecuteNonQueryAsync(TestContext.Current.CancellationToken));
        }

        var read = new GrainState<ChatState>(new ChatState());
        await storage.ReadStateAsync("chat", Chat(1), read);
        Assert.Equal("from json", read.State!.Chat!.Name);
        Assert.Equal(5, read.State!.Recent.Count);
        Assert.Equal("message 4 😀", read.State!.Recent[^1].Content);

        await storage.WriteStateAsync("chat", Chat(1), read);
        var stored = await RawAsync(Chat(1));
        Assert.False(GrainStateSerializer.IsJson(stored), "the rewrite is Orleans' binary format");
        Assert.True(stored.Length < old.Length, $"binary {stored.Length} B, JSON {old.Length} B");
        var again = new GrainState<ChatState>(new ChatState());
        await storage.ReadStateAsync("chat", Chat(1), again);
        Assert.Equal("from json", again.State!.Chat!.Name);
        Assert.Equal(5, again.State!.Recent.Count);
    }

    [Fact]
    public void Orleans_binary_state_never_looks_like_json()
    {
        var serializer = Services.GetRequiredService<IGrainStorageSerializer>();
        foreach (var state in new object[] { State("x"), new ChatState(), State("", 0) })
        {
            Assert.False(GrainStateSerializer.IsJson(serializer.Serialize(state).ToArray()));
        }
        Assert.True(GrainStateSerializer.IsJson("\uFEFF  {\"a\":1}"u8));
    }

    [Fact]
    public async Task Clear_removes_the_row()
    {
        var storage = Storage();
        var state = new GrainState<ChatState>(State("gone"));
        await storage.WriteStateAsync("chat", Chat(1), state);
        await storage.ClearStateAsync("chat", Chat(1), state);
        var read = new GrainState<ChatState>(new ChatState());
        await storage.ReadStateAsync("chat", Chat(1), read);
        Assert.False(read.RecordExists);
        Assert.Null(read.ETag);
    }

    private async Task<byte[]> RawAsync(GrainId id)
    {
        await using var connection = new SqliteConnection($"Data Source={Database}");
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        await using var select = connection.CreateCommand();
        select.CommandText = "SELECT data FROM grain_state WHERE grain_id = $id";
        select.Parameters.AddWithValue("$id", id.ToString());
        return (byte[])(await select.ExecuteScalarAsync(TestContext.Current.CancellationToken))!;
    }
}
