using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace MessengerAutoReply.Bench;

/// <summary>The figures of one run: a Markdown table for people and flat numeric JSON keys for comparing runs.</summary>
public sealed class Report
{
    /// <summary>The keys issue #9 names; --smoke fails unless each of them is a number.</summary>
    public static readonly string[] RequiredKeys =
    [
        "ingest_msgs_per_s", "kestrel_noop_req_per_s", "ingest_ratio_to_kestrel", "ack_p99_ms", "sse_lag_p99_ms",
        "reply_overhead_p99_ms", "max_parallel_runs_per_chat", "unanswered", "telegram_429s", "bytes_per_chat",
        // issue #14's goals (fanout_1000_lag_p99_ms and the PocketBase ratio only where their phase runs: the
        // smoke profile has no 1,000 subscribers, PocketBase may be missing)
        "ingest_sqlite_ratio_to_kestrel", "ingest_redis_ratio_to_kestrel", "ingest_sqlite_ack_p99_ms",
        "ingest_sqlite_sse_lag_p99_ms", "ingest_redis_sse_lag_p99_ms", "state_bytes_growth_1000", "reply_loop_ratio_to_kestrel",
    ];

    private readonly List<(string Key, double? Value)> _figures = [];
    private readonly List<string[]> _rows = [];
    private readonly List<string> _notes = [];

    public IReadOnlyList<(string Key, double? Value)> Figures => _figures;

    public void Set(string key, double value)
    {
        _figures.RemoveAll(f => f.Key == key);
        _figures.Add((key, double.IsFinite(value) ? Math.Round(value, 3) : null));
    }

    public double? Get(string key) => _figures.FirstOrDefault(f => f.Key == key).Value;

    /// <summary>A table row: what, measured, its limit or goal, and how it compares.</summary>
    public void Row(string scenario, string figure, string value, string limit = "", string ratio = "") =>
        _rows.Add([scenario, figure, value, limit, ratio]);

    public void Note(string note) => _notes.Add(note);

    public IReadOnlyList<string> MissingRequired() =>
        [.. RequiredKeys.Where(k => Get(k) is null)];

    public string Markdown(string header)
    {
        var text = new StringBuilder();
        text.AppendLine(header).AppendLine();
        text.AppendLine("| scenario | figure | measured | limit / goal | ratio |");
        text.AppendLine("| --- | --- | ---: | --- | ---: |");
        foreach (var row in _rows)
        {
            text.AppendLine("| " + string.Join(" | ", row) + " |");
        }
        if (_notes.Count > 0)
        {
            text.AppendLine();
            foreach (var note in _notes)
            {
                text.AppendLine("- " + note);
            }
        }
        return text.ToString();
    }

    public string Json(JsonObject meta)
    {
        var json = new JsonObject();
        foreach (var (key, value) in _figures)
        {
            json[key] = value is null ? null : JsonValue.Create(value.Value);
        }
        json["meta"] = meta;
        return json.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    public static string N(double value, int decimals = 0) =>
        double.IsFinite(value) ? value.ToString("N" + decimals.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture) : "n/a";

    public static string Ms(double value) => double.IsFinite(value) ? value.ToString(value < 10 ? "0.0" : "0", CultureInfo.InvariantCulture) + " ms" : "n/a";

    public static string Ratio(double ours, double limit) => limit > 0 && double.IsFinite(ours) ? (ours / limit).ToString("0.00", CultureInfo.InvariantCulture) : "n/a";
}
