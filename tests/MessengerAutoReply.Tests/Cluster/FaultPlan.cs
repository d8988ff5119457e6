using System.Globalization;
using MessengerAutoReply.Hosting;

namespace MessengerAutoReply.Tests.Cluster;

/// <summary>
/// Sizes and timings of the fault harness; each can be set by an environment variable (CLUSTER_FAULT_CHATS,
/// CLUSTER_FAULT_LOAD=60s, CLUSTER_FAULT_SILO_KILL_AT=8s, ...) to run it longer, bigger or on a slower machine.
/// Fault times count from the start of the load.
/// </summary>
public sealed record FaultPlan
{
    public int Chats { get; init; } = 300;
    public int MessagesPerChat { get; init; } = 2;
    public int OperatorMessages { get; init; } = 60;
    public TimeSpan Load { get; init; } = TimeSpan.FromSeconds(60);
    public TimeSpan OpenAILatency { get; init; } = TimeSpan.FromMilliseconds(500);
    public TimeSpan SiloKillAt { get; init; } = TimeSpan.FromSeconds(8);
    public TimeSpan SiloStopAt { get; init; } = TimeSpan.FromSeconds(18);
    public TimeSpan ApiKillAt { get; init; } = TimeSpan.FromSeconds(28);
    public TimeSpan RedisStopAt { get; init; } = TimeSpan.FromSeconds(33);
    public TimeSpan PocketBaseStopAt { get; init; } = TimeSpan.FromSeconds(47);
    public TimeSpan OutageLength { get; init; } = TimeSpan.FromSeconds(10);
    /// <summary>A replacement silo starts this long after each silo fault (what an orchestrator does).</summary>
    public TimeSpan RestartAfter { get; init; } = TimeSpan.FromSeconds(3);
    public TimeSpan Settle { get; init; } = TimeSpan.FromSeconds(90);
    public TimeSpan Quiet { get; init; } = TimeSpan.FromSeconds(5);

    public static FaultPlan FromEnvironment()
    {
        var plan = new FaultPlan();
        return plan with
        {
            Chats = Int("CLUSTER_FAULT_CHATS", plan.Chats),
            MessagesPerChat = Int("CLUSTER_FAULT_MESSAGES_PER_CHAT", plan.MessagesPerChat),
            OperatorMessages = Int("CLUSTER_FAULT_OPERATOR_MESSAGES", plan.OperatorMessages),
            Load = Duration("CLUSTER_FAULT_LOAD", plan.Load),
            OpenAILatency = Duration("CLUSTER_FAULT_OPENAI_LATENCY", plan.OpenAILatency),
            SiloKillAt = Duration("CLUSTER_FAULT_SILO_KILL_AT", plan.SiloKillAt),
            SiloStopAt = Duration("CLUSTER_FAULT_SILO_STOP_AT", plan.SiloStopAt),
            ApiKillAt = Duration("CLUSTER_FAULT_API_KILL_AT", plan.ApiKillAt),
            RedisStopAt = Duration("CLUSTER_FAULT_REDIS_STOP_AT", plan.RedisStopAt),
            PocketBaseStopAt = Duration("CLUSTER_FAULT_POCKETBASE_STOP_AT", plan.PocketBaseStopAt),
            OutageLength = Duration("CLUSTER_FAULT_OUTAGE", plan.OutageLength),
            RestartAfter = Duration("CLUSTER_FAULT_RESTART_AFTER", plan.RestartAfter),
            Settle = Duration("CLUSTER_FAULT_SETTLE", plan.Settle),
            Quiet = Duration("CLUSTER_FAULT_QUIET", plan.Quiet),
        };
    }

    private static int Int(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value > 0 ? value : fallback;

    private static TimeSpan Duration(string name, TimeSpan fallback) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } raw && SettingsReader.TryParseDuration(raw, "s", out var value) ? value : fallback;
}
