using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using MessengerAutoReply.Bench;
using MessengerAutoReply.Fakes.OpenAI;
using MessengerAutoReply.Fakes.Telegram;

// Child-process modes: the limits server and the memory-storage API host run as processes of their own.
if (args.Length > 0 && args[0] == Limits.ServeCommand)
{
    return await Limits.ServeAsync(args);
}
if (args.Length > 0 && args[0] == ServiceUnderTest.ServeMemoryCommand)
{
    return await ServiceUnderTest.ServeMemoryAsync(args);
}

var profile = Profile.Full;
string? jsonPath = null;
HashSet<string>? only = null;
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--quick":
            profile = Profile.Quick;
            break;
        case "--smoke":
            profile = Profile.Smoke;
            break;
        case "--only" when i + 1 < args.Length:
            only = [.. args[++i].Split(',')];
            break;
        case "--json" when i + 1 < args.Length:
            jsonPath = args[++i];
            break;
        case "--help" or "-h":
            Console.WriteLine("""
                MessengerAutoReply.Bench: ingest, auto-reply, outbound, fan-out and scale, against this machine's limits.
                  (no option)   the full run (about 10 minutes on 2 cores)
                  --quick       ingest sustained 20 s per variant, smaller counts elsewhere: about 6 minutes
                  --smoke       tiny counts, about a minute: checks that every figure is produced, nothing about speed
                  --json PATH   also write the figures as JSON
                Progress goes to stderr; the Markdown table to stdout.
                """);
            return 0;
        default:
            await Console.Error.WriteLineAsync($"Unknown argument '{args[i]}' (see --help).");
            return 2;
    }
}

var log = Console.Error;
var total = Stopwatch.StartNew();
var report = new Report();
var pocketBaseBinary = PocketBaseServer.FindBinary();
var client = new LoadClient();

var telegram = await FakeTelegramServer.StartAsync();
// The bench writes to chats the fake never saw an update from (it posts the webhooks itself).
telegram.RequireKnownChats = false;
telegram.FloodLimitsEnabled = true;
telegram.DefaultWaitTimeout = profile.WaitTimeout;
var openAI = await FakeOpenAIServer.StartAsync(BenchContext.OpenAIKey);
openAI.AcceptAnyModel = true;

await using var context = new BenchContext
{
    Profile = profile,
    Client = client,
    Telegram = telegram,
    OpenAI = openAI,
    Redis = await RedisServer.StartNewAsync(),
    PocketBase = pocketBaseBinary is null ? null : await PocketBaseServer.StartNewAsync(),
    Log = log,
};
using var scratch = new TempDir("bench-limits");
var failures = new List<string>();

async Task Phase(string name, Func<Task> run)
{
    if (only is not null && !only.Any(o => name.Contains(o, StringComparison.OrdinalIgnoreCase)))
    {
        return;
    }
    context.Note($"{name}…");
    var watch = Stopwatch.StartNew();
    try
    {
        await run();
        context.Note($"{name}: done in {watch.Elapsed.TotalSeconds:0.0} s");
    }
    catch (Exception ex)
    {
        failures.Add($"{name}: {ex.Message}");
        context.Note($"{name}: FAILED after {watch.Elapsed.TotalSeconds:0.0} s: {ex}");
    }
}

// ---------------------------------------------------------------- the limits
var webhookBody = context.TextUpdate(42, "a message of about the size a chat message has");
double kestrel = double.NaN, sqliteInsert = double.NaN, redisSet = double.NaN, pocketBaseCreate = double.NaN;
await Phase("limits: Kestrel no-op, Kestrel + SQLite insert", async () =>
{
    await using var server = await Limits.StartServerAsync(client, scratch.Path);
    await Limits.MeasureKestrelAsync(client, profile with { LimitDuration = profile.WarmupDuration }, "/noop", webhookBody);
    var noop = await Limits.MeasureKestrelAsync(client, profile, "/noop", webhookBody);
    await Limits.MeasureKestrelAsync(client, profile with { LimitDuration = profile.WarmupDuration / 2 }, "/sqlite", webhookBody);
    var insert = await Limits.MeasureKestrelAsync(client, profile, "/sqlite", webhookBody);
    kestrel = noop.RatePerSecond;
    sqliteInsert = insert.RatePerSecond;
    report.Row("limits", "Kestrel no-op endpoint (POST, same body)", $"{Report.N(kestrel)} req/s", $"p99 {Report.Ms(noop.Latency.P99)}");
    report.Row("limits", "Kestrel + one durable SQLite insert (WAL)", $"{Report.N(sqliteInsert)} req/s", $"p99 {Report.Ms(insert.Latency.P99)}");
});
await Phase("limits: redis-benchmark SET", async () =>
{
    redisSet = await Limits.MeasureRedisSetAsync(context.Redis.Port, profile);
    report.Row("limits", "Redis SET (redis-benchmark, 50 clients)", $"{Report.N(redisSet)} ops/s");
});
if (context.PocketBase is not null)
{
    await Phase("limits: PocketBase create", async () =>
    {
        var create = await Limits.MeasurePocketBaseAsync(client, context.PocketBase, profile);
        pocketBaseCreate = create.RatePerSecond;
        report.Row("limits", "PocketBase 0.22.20 record create (16 in flight)", $"{Report.N(pocketBaseCreate)} req/s", $"p99 {Report.Ms(create.Latency.P99)}");
    });
}
else
{
    report.Note("PocketBase 0.22.20 not found (run ./test.sh once, or set POCKETBASE_BIN): its limit and variant were skipped.");
}
report.Set("kestrel_noop_req_per_s", kestrel);
report.Set("sqlite_insert_req_per_s", sqliteInsert);
report.Set("redis_set_per_s", redisSet);
report.Set("pocketbase_create_per_s", pocketBaseCreate);

void IngestRows(string variant, IngestFigures f, params (string Name, double Limit)[] limits)
{
    var rate = f.Saturated.RatePerSecond;
    var ratios = string.Join(", ", limits.Select(l => $"{Report.Ratio(rate, l.Limit)} of {l.Name}"));
    report.Row($"ingest ({variant})", $"accepted webhook updates, sustained {Report.N(f.Saturated.Elapsed.TotalSeconds, 1)} s after a {Report.N(profile.WarmupDuration.TotalSeconds, 0)} s warm-up ({profile.IngestChats} chats, {profile.IngestConcurrency} in flight)",
        $"{Report.N(rate)} msgs/s", limits.Length > 0 ? string.Join(", ", limits.Select(l => $"{l.Name} {Report.N(l.Limit)}/s")) : "", ratios);
    report.Row($"ingest ({variant})", "ack p50 / p99 at saturation", $"{Report.Ms(f.Saturated.Latency.P50)} / {Report.Ms(f.Saturated.Latency.P99)}");
    report.Row($"ingest ({variant})", $"ack p50 / p99 at half rate ({Report.N(f.HalfRate.RatePerSecond)}/s)", $"{Report.Ms(f.HalfRate.Latency.P50)} / {Report.Ms(f.HalfRate.Latency.P99)}",
        variant.StartsWith("SQLite, embedded", StringComparison.Ordinal) ? "goal: p99 < 20 ms" : "");
    report.Row($"ingest ({variant})", "accepted → SSE event seen, p50 / p99 (half rate)", $"{Report.Ms(f.SseLag.P50)} / {Report.Ms(f.SseLag.P99)}",
        (variant.StartsWith("SQLite, embedded", StringComparison.Ordinal) ? "goal: p99 < 20 ms; " : variant.StartsWith("Redis", StringComparison.Ordinal) ? "goal: p99 < 50 ms; " : "") + $"at saturation {Report.Ms(f.SseLagSaturated.P50)} / {Report.Ms(f.SseLagSaturated.P99)}", f.SseMissing > 0 ? $"{f.SseMissing} not seen" : "");
    if (f.Saturated.Errors + f.HalfRate.Errors > 0)
    {
        report.Note($"ingest ({variant}): {f.Saturated.Errors + f.HalfRate.Errors} webhook calls failed; first: {f.Saturated.FirstError ?? f.HalfRate.FirstError}");
    }
}

void IngestKeys(string prefix, IngestFigures f)
{
    report.Set($"{prefix}msgs_per_s", f.Saturated.RatePerSecond);
    report.Set($"{prefix}ack_p50_ms", f.HalfRate.Latency.P50);
    report.Set($"{prefix}ack_p99_ms", f.HalfRate.Latency.P99);
    report.Set($"{prefix}ack_saturated_p99_ms", f.Saturated.Latency.P99);
    report.Set($"{prefix}sse_lag_p50_ms", f.SseLag.P50);
    report.Set($"{prefix}sse_lag_p99_ms", f.SseLag.P99);
    report.Set($"{prefix}errors", f.Saturated.Errors + f.HalfRate.Errors + f.SseMissing);
}

// CPU seconds of the service's processes per 1,000 accepted messages over an ingest run (warm-up included).
var embeddedCpuPer1k = double.NaN;
double CpuPer1k(double cpuSeconds, IngestFigures f) => cpuSeconds / ((profile.WarmupRequests + f.Saturated.Ok + f.HalfRate.Ok) / 1000.0);

// ---------------------------------------------------------------- memory storage (the goal's reference)
await Phase("ingest: memory grain storage", async () =>
{
    await using var service = await ServiceUnderTest.StartAsync(Variant.Memory, context);
    var f = await Scenarios.IngestAsync(context, service, "im", 1_000_000_000);
    IngestRows("memory storage", f, ("Kestrel no-op", kestrel));
    report.Set("ingest_msgs_per_s", f.Saturated.RatePerSecond);
    report.Set("ingest_ratio_to_kestrel", f.Saturated.RatePerSecond / kestrel);
    report.Set("ack_p50_ms", f.HalfRate.Latency.P50);
    report.Set("ack_p99_ms", f.HalfRate.Latency.P99);
    report.Set("ack_saturated_p99_ms", f.Saturated.Latency.P99);
    report.Set("sse_lag_p50_ms", f.SseLag.P50);
    report.Set("sse_lag_p99_ms", f.SseLag.P99);
});

// ---------------------------------------------------------------- the embedded default: every scenario
await Phase("embedded default (SQLite grain state)", async () =>
{
    await using var service = await ServiceUnderTest.StartAsync(Variant.Sqlite, context);
    var cpuBefore = service.CpuSeconds();
    var ingest = await Scenarios.IngestAsync(context, service, "is", 2_000_000_000);
    embeddedCpuPer1k = CpuPer1k(service.CpuSeconds() - cpuBefore, ingest);
    IngestRows("SQLite, embedded default", ingest, ("Kestrel no-op", kestrel), ("Kestrel + SQLite insert", sqliteInsert));
    IngestKeys("ingest_sqlite_", ingest);
    report.Set("ingest_sqlite_ratio_to_kestrel", ingest.Saturated.RatePerSecond / kestrel);
    report.Set("ingest_sqlite_ratio_to_sqlite_insert", ingest.Saturated.RatePerSecond / sqliteInsert);

    foreach (var subscribers in profile.FanOutSubscribers)
    {
        // The largest fan-out runs at half the ceiling of the path (hub and load client), found by a faster round first.
        var atHalfCeiling = subscribers >= 1000;
        var f = await Scenarios.FanOutAsync(context, service, subscribers, 3_000_000_000 + subscribers * 100L, atHalfCeiling);
        report.Row("fan-out (SQLite)", $"{subscribers} SSE subscribers, {f.Messages} messages at {Report.N(f.RatePerSecond)}/s" + (atHalfCeiling ? $" (half the ceiling of {Report.N(f.CeilingMessagesPerSecond)}/s)" : ""),
            $"{Report.N(f.EventsPerSecond)} events/s", $"lag p50 {Report.Ms(f.Lag.P50)} / p99 {Report.Ms(f.Lag.P99)}" + (atHalfCeiling ? "; goal: p99 < 100 ms" : ""),
            $"{Report.N(f.Delivered)} of {Report.N(f.Expected)} messages delivered" + (f.Dropped > 0 ? $", {f.Dropped} dropped" : ""));
        report.Set($"fanout_{subscribers}_events_per_s", f.EventsPerSecond);
        report.Set($"fanout_{subscribers}_lag_p50_ms", f.Lag.P50);
        report.Set($"fanout_{subscribers}_lag_p99_ms", f.Lag.P99);
        report.Set($"fanout_{subscribers}_delivered_ratio", f.Expected == 0 ? double.NaN : f.Delivered / (double)f.Expected);
        report.Set($"fanout_{subscribers}_dropped", f.Dropped);
        if (atHalfCeiling)
        {
            report.Set($"fanout_{subscribers}_ceiling_msgs_per_s", f.CeilingMessagesPerSecond);
            report.Set($"fanout_{subscribers}_rate_msgs_per_s", f.RatePerSecond);
        }
    }

    var growth = await Goals.StateGrowthAsync(context, service, 3_900_000_000);
    report.Row("grain state (SQLite)", "bytes written to grain storage for one message: new chat", $"{Report.N(growth.NewChatBytes)} B", $"{growth.NewChatWrites} writes");
    report.Row("grain state (SQLite)", $"… in a chat with {Report.N(growth.History)} earlier messages", $"{Report.N(growth.LongChatBytes)} B",
        $"{growth.LongChatWrites} writes; goal: ≤ 1.2 × new chat", Report.Ratio(growth.LongChatBytes, growth.NewChatBytes));
    report.Set("state_bytes_new_chat", growth.NewChatBytes);
    report.Set("state_bytes_long_chat", growth.LongChatBytes);
    report.Set("state_writes_per_message", growth.NewChatWrites);
    report.Set("state_bytes_growth_1000", growth.Ratio);

    var reply = await Scenarios.AutoReplyAsync(context, service, 4_000_000_000);
    report.Row("auto-reply (SQLite)", $"replies/s, {profile.BurstReplyChats} chats × {profile.BurstReplyMessages} messages at once, AI 500 ms", $"{Report.N(reply.RepliesPerSecond, 1)} replies/s");
    report.Row("auto-reply (SQLite)", $"service overhead per reply p50 / p99 ({profile.ConversationChats} chats × {profile.ConversationTurns} turns)",
        $"{Report.Ms(reply.Overhead.P50)} / {Report.Ms(reply.Overhead.P99)}", "goal: p99 < 50 ms", $"AI time p50 {Report.Ms(reply.AiTime.P50)}");
    report.Row("auto-reply (SQLite)", "most runs at once in one chat", Report.N(reply.MaxParallelRuns), "must be 1");
    report.Row("auto-reply (SQLite)", "customer messages left unanswered", Report.N(reply.Unanswered), "must be 0", $"{reply.Answered} answered");
    report.Set("replies_per_s", reply.RepliesPerSecond);
    report.Set("reply_overhead_p50_ms", reply.Overhead.P50);
    report.Set("reply_overhead_p99_ms", reply.Overhead.P99);
    report.Set("reply_ai_p50_ms", reply.AiTime.P50);
    report.Set("max_parallel_runs_per_chat", reply.MaxParallelRuns);
    report.Set("unanswered", reply.Unanswered);

    var outbound = await Scenarios.OutboundAsync(context, service, 5_000_000_000);
    report.Row("outbound burst (SQLite)", $"{outbound.Replies} replies to {outbound.Chats} chats, fake enforcing 30/s and 1/s per chat",
        $"{Report.N(outbound.TooManyRequests)} × 429", "goal: 0");
    report.Row("outbound burst (SQLite)", "time to drain", $"{Report.N(outbound.DrainSeconds, 1)} s", $"limits' minimum {Report.N(outbound.MinimumSeconds, 1)} s",
        Report.Ratio(outbound.DrainSeconds, outbound.MinimumSeconds) + (outbound.Sent < outbound.Replies ? $", {outbound.Sent} of {outbound.Replies} sent" : ""));
    report.Set("telegram_429s", outbound.TooManyRequests);
    report.Set("outbound_drain_s", outbound.DrainSeconds);
    report.Set("outbound_min_drain_s", outbound.MinimumSeconds);
    report.Set("outbound_drain_ratio", outbound.DrainSeconds / outbound.MinimumSeconds);
    report.Set("outbound_unsent", outbound.Replies - outbound.Sent);

    var scale = await Scenarios.ScaleAsync(context, service, 6_000_000_000);
    var perChat = (scale.RssAfter - scale.RssBefore) / (double)scale.Chats;
    report.Row("scale (SQLite)", $"{Report.N(scale.Chats)} chats activated (one message each)", $"{Report.N(scale.Activation.RatePerSecond)} chats/s",
        $"archive caught up {Report.N(scale.ArchiveCatchUpSeconds, 1)} s later");
    report.Row("scale (SQLite)", "grain host memory per chat (RSS growth / chats)", $"{Report.N(perChat)} bytes",
        $"RSS {Report.N(scale.RssAfter / 1048576.0)} MiB; goal: 100,000 chats < 1 GiB", $"{Report.N(perChat * 100_000 / 1048576.0)} MiB per 100k");
    report.Row("scale (SQLite)", $"GET /api/chats first page p50 / p99 ({Report.N(scale.Listed)} chats)", $"{Report.Ms(scale.ListFirstPage.P50)} / {Report.Ms(scale.ListFirstPage.P99)}",
        $"search q= p50 {Report.Ms(scale.ListSearch.P50)}");
    report.Set("scale_chats", scale.Chats);
    report.Set("scale_activation_per_s", scale.Activation.RatePerSecond);
    report.Set("bytes_per_chat", perChat);
    report.Set("scale_rss_mib", scale.RssAfter / 1048576.0);
    report.Set("scale_archive_catchup_s", scale.ArchiveCatchUpSeconds);
    report.Set("list_chats_p50_ms", scale.ListFirstPage.P50);
    report.Set("list_chats_search_p50_ms", scale.ListSearch.P50);
});

// ---------------------------------------------------------------- update in → reply out, nothing paced
await Phase("reply loop (SQLite, no flood limits, AI at 0 ms)", async () =>
{
    telegram.FloodLimitsEnabled = false;
    openAI.ResponseLatency = TimeSpan.Zero;
    try
    {
        await using var service = await ServiceUnderTest.StartAsync(Variant.Sqlite, context, new Dictionary<string, string>
        {
            ["AUTO_MODE_DEFAULT"] = "true",
            ["TELEGRAM_RATE_PER_SECOND"] = "100000",
            ["TELEGRAM_CHAT_INTERVAL"] = "0",
            ["TELEGRAM_PACING_MARGIN"] = "0",
        });
        var loop = await Goals.ReplyLoopAsync(context, service, 9_000_000_000);
        report.Row("reply loop (SQLite)", $"update in → reply out, {loop.Chats} chats one update in flight each, {Report.N(loop.Seconds, 1)} s",
            $"{Report.N(loop.RepliesPerSecond, 1)} replies/s", $"Kestrel no-op {Report.N(kestrel)}/s; goal ≥ 0.10 (n8n: 105/s)", Report.Ratio(loop.RepliesPerSecond, kestrel));
        report.Row("reply loop (SQLite)", "update → reply p50 / p99", $"{Report.Ms(loop.Latency.P50)} / {Report.Ms(loop.Latency.P99)}", "", loop.Errors > 0 ? $"{loop.Errors} failed" : "");
        report.Set("reply_loop_per_s", loop.RepliesPerSecond);
        report.Set("reply_loop_p99_ms", loop.Latency.P99);
        report.Set("reply_loop_errors", loop.Errors);
        report.Set("reply_loop_ratio_to_kestrel", loop.RepliesPerSecond / kestrel);
    }
    finally
    {
        telegram.FloodLimitsEnabled = true;
    }
});

// ---------------------------------------------------------------- cluster mode
await Phase("cluster mode (Redis, silo processes)", async () =>
{
    await using var service = await ServiceUnderTest.StartAsync(Variant.Redis, context);
    var cpuBefore = service.CpuSeconds();
    var f = await Scenarios.IngestAsync(context, service, "ir", 7_000_000_000);
    // Issue #13: what the cluster costs per message, all its processes summed, against the embedded default's.
    var clusterCpuPer1k = CpuPer1k(service.CpuSeconds() - cpuBefore, f);
    report.Row("CPU per 1,000 accepted messages", $"cluster ({profile.Silos} silos + API host) vs embedded default, same ingest",
        $"{Report.N(clusterCpuPer1k, 2)} s vs {Report.N(embeddedCpuPer1k, 2)} s", Report.Ratio(clusterCpuPer1k, embeddedCpuPer1k));
    report.Set("cluster_cpu_s_per_1k", clusterCpuPer1k);
    report.Set("embedded_cpu_s_per_1k", embeddedCpuPer1k);
    report.Set("cluster_cpu_per_1k_ratio", clusterCpuPer1k / embeddedCpuPer1k);
    IngestRows($"Redis cluster, {profile.Silos} silos + API host", f, ("Kestrel no-op", kestrel), ("Redis SET", redisSet));
    IngestKeys("ingest_redis_", f);
    report.Set("ingest_redis_ratio_to_kestrel", f.Saturated.RatePerSecond / kestrel);
    report.Set("ingest_redis_ratio_to_redis_set", f.Saturated.RatePerSecond / redisSet);
});

// ---------------------------------------------------------------- PocketBase archive
if (context.PocketBase is not null)
{
    await Phase("embedded default + PocketBase archive", async () =>
    {
        await using var service = await ServiceUnderTest.StartAsync(Variant.PocketBase, context);
        // A shorter ingest: every message it accepts is archived before the drain is measured.
        var f = await Scenarios.IngestAsync(context, service, "ip", 8_000_000_000, profile.WarmupDuration);
        IngestRows("SQLite + PocketBase archive", f, ("Kestrel no-op", kestrel));
        IngestKeys("ingest_pocketbase_", f);
        var drain = await Goals.ArchiveDrainAsync(context, service, 8_100_000_000);
        // Every accepted message is two archive writes: the message and its chat's new preview.
        var writes = drain.WritesPerSecond;
        report.Row("archive (PocketBase)", $"archive writes/s: {Report.N(drain.Messages)} messages ingested in {Report.N(drain.IngestSeconds, 1)} s, archived {Report.N(drain.DrainSeconds, 1)} s after the start",
            $"{Report.N(writes)} writes/s", $"PocketBase create {Report.N(pocketBaseCreate)}/s (16 in flight); goal ≥ 0.5", Report.Ratio(writes, pocketBaseCreate) + (drain.BacklogLeft > 0 ? $", {drain.BacklogLeft} left" : ""));
        report.Set("archive_pocketbase_writes_per_s", writes);
        report.Set("archive_pocketbase_ratio_to_create", writes / pocketBaseCreate);
    });
}

report.Set("telegram_429s_total", telegram.TooManyRequestsCount);
report.Set("bench_seconds", total.Elapsed.TotalSeconds);
foreach (var failure in failures)
{
    report.Note("FAILED " + failure);
}

var command = "dotnet bench/bin/Release/net10.0/MessengerAutoReply.Bench.dll" + (args.Length > 0 ? " " + string.Join(' ', args) : "");
var header = $"Profile `{profile.Name}`, {Environment.ProcessorCount} cores, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {total.Elapsed.TotalSeconds:0} s.";
Console.WriteLine(report.Markdown(header));
if (jsonPath is not null)
{
    var meta = new JsonObject
    {
        ["profile"] = profile.Name,
        ["cores"] = Environment.ProcessorCount,
        ["utc"] = DateTime.UtcNow.ToString("O", CultureInfo.InvariantCulture),
        ["failures"] = new JsonArray([.. failures.Select(f => (JsonNode?)JsonValue.Create(f))]),
    };
    await File.WriteAllTextAsync(jsonPath, report.Json(meta));
}

var missing = report.MissingRequired();
if (missing.Count > 0 || failures.Count > 0)
{
    await log.WriteLineAsync($"Not every figure was produced: missing {string.Join(", ", missing)}; {failures.Count} phases failed.");
    return 1;
}
return 0;
