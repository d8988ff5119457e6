using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace MessengerAutoReply.Bench;

/// <summary>
/// The machine's own limits, measured in the same run with the same load client: Kestrel doing nothing, Kestrel
/// doing one durable SQLite insert (the price of "accepted means durable"), Redis' SET rate, PocketBase's
/// record-create rate.
/// </summary>
public static class Limits
{
    public const string ServeCommand = "serve-limits";

    /// <summary>
    /// The limits server, run as its own process (<c>MessengerAutoReply.Bench serve-limits PORT DB</c>) so it
    /// sits on the same side of the process boundary as the service: built like the API host (slim builder,
    /// routing), no logging per request.
    /// </summary>
    public static async Task<int> ServeAsync(string[] args)
    {
        var port = int.Parse(args[1], CultureInfo.InvariantCulture);
        var database = args[2];
        var connectionString = new SqliteConnectionStringBuilder { DataSource = database, Mode = SqliteOpenMode.ReadWriteCreate, DefaultTimeout = 30 }.ToString();
        await using (var setup = new SqliteConnection(connectionString))
        {
            setup.Open();
            await using var command = setup.CreateCommand();
            // The same durability as the service's grain storage: WAL, SQLite's default synchronous (FULL).
            command.CommandText = "PRAGMA journal_mode = WAL; CREATE TABLE IF NOT EXISTS accepted (id INTEGER PRIMARY KEY, data BLOB NOT NULL)";
            await command.ExecuteNonQueryAsync();
        }

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, port));
        var app = builder.Build();
        app.MapGet("/ready", () => Results.Ok());
        app.MapPost("/noop", async (HttpContext context) =>
        {
            // Read the body like the webhook does, then answer: Kestrel's and routing's own cost.
            await context.Request.Body.CopyToAsync(Stream.Null, context.RequestAborted);
            return Results.Ok();
        });
        // SQLite takes one writer at a time; queueing writers here (asynchronously) instead of letting them
        // collide keeps Microsoft.Data.Sqlite out of its busy-retry sleep, so this is the disk's own price.
        var writeGate = new SemaphoreSlim(1, 1);
        var ungated = Environment.GetEnvironmentVariable("BENCH_SQLITE_UNGATED") == "1";
        app.MapPost("/sqlite", async (HttpContext context) =>
        {
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body, context.RequestAborted);
            await using var connection = new SqliteConnection(connectionString);
            await connection.OpenAsync(context.RequestAborted);
            await using var command = connection.CreateCommand();
            command.CommandText = "INSERT INTO accepted (data) VALUES ($data)";
            command.Parameters.AddWithValue("$data", body.ToArray());
            // BENCH_SQLITE_UNGATED=1 shows what colliding writers cost (README, Performance).
            if (ungated)
            {
                await command.ExecuteNonQueryAsync(context.RequestAborted);
                return Results.Ok();
            }
            await writeGate.WaitAsync(context.RequestAborted);
            try
            {
                await command.ExecuteNonQueryAsync(context.RequestAborted);
            }
            finally
            {
                writeGate.Release();
            }
            return Results.Ok();
        });
        await app.RunAsync();
        return 0;
    }

    public static async Task<ChildProcess> StartServerAsync(LoadClient client, string dataDir)
    {
        var port = FreePort.Next();
        var server = ChildProcess.StartDotnet("limits server", "MessengerAutoReply.Bench.dll", null, null,
            ServeCommand, port.ToString(CultureInfo.InvariantCulture), Path.Combine(dataDir, "limits.db"));
        await server.WaitForHttpAsync(client.Http, new Uri($"http://127.0.0.1:{port}/ready"), TimeSpan.FromSeconds(30));
        Port = port;
        return server;
    }

    private static int Port { get; set; }

    public static Task<LoadResult> MeasureKestrelAsync(LoadClient client, Profile profile, string path, byte[] body) =>
        client.RunAsync($"kestrel {path}", profile.LimitRequests, profile.IngestConcurrency, profile.LimitDuration, _ =>
            new HttpRequestMessage(HttpMethod.Post, new Uri($"http://127.0.0.1:{Port}{path}"))
            {
                Content = new ByteArrayContent(body) { Headers = { ContentType = new("application/json") } },
            });

    /// <summary>redis-benchmark's own SET rate against the bench's redis-server (it is Redis' client, not ours).</summary>
    public static async Task<double> MeasureRedisSetAsync(int port, Profile profile)
    {
        var info = new ProcessStartInfo("redis-benchmark")
        {
            ArgumentList = { "-h", "127.0.0.1", "-p", port.ToString(CultureInfo.InvariantCulture), "-t", "set", "-n", profile.RedisRequests.ToString(CultureInfo.InvariantCulture), "-c", "50", "--csv" },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using var process = Process.Start(info)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        // "test","rps",... then "SET","123456.79",...
        foreach (var line in output.Split('\n'))
        {
            var cells = line.Split(',').Select(c => c.Trim().Trim('"')).ToArray();
            if (cells.Length > 1 && cells[0] == "SET" && double.TryParse(cells[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var rps))
            {
                return rps;
            }
        }
        throw new InvalidOperationException($"redis-benchmark printed no SET rate: {output}");
    }

    /// <summary>PocketBase's own create rate: one small record per request, admin token, same load client.</summary>
    public static async Task<LoadResult> MeasurePocketBaseAsync(LoadClient client, PocketBaseServer pocketBase, Profile profile)
    {
        var token = await pocketBase.AdminTokenAsync(client.Http);
        using (var create = new HttpRequestMessage(HttpMethod.Post, new Uri(pocketBase.Url, "/api/collections"))
        {
            Content = JsonContent.Create(new JsonObject
            {
                ["name"] = "bench_limit",
                ["type"] = "base",
                ["schema"] = new JsonArray(new JsonObject { ["name"] = "text", ["type"] = "text", ["options"] = new JsonObject() }),
            }),
        })
        {
            create.Headers.TryAddWithoutValidation("Authorization", token);
            using var response = await client.Http.SendAsync(create);
            if (!response.IsSuccessStatusCode)
            {
                throw new InvalidOperationException($"PocketBase refused the bench collection: {await response.Content.ReadAsStringAsync()}");
            }
        }
        var body = Encoding.UTF8.GetBytes("""{"text":"a message of about the size a chat message has, to be stored once"}""");
        return await client.RunAsync("pocketbase create", profile.LimitRequests, 16, profile.LimitDuration, _ =>
        {
            var request = new HttpRequestMessage(HttpMethod.Post, new Uri(pocketBase.Url, "/api/collections/bench_limit/records"))
            {
                Content = new ByteArrayContent(body) { Headers = { ContentType = new("application/json") } },
            };
            request.Headers.TryAddWithoutValidation("Authorization", token);
            return request;
        });
    }
}
