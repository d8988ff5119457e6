using Orleans.Concurrency;

namespace MessengerAutoReply.Hosting;

/// <summary>Answers readiness probes: a call that reaches it proves a silo is up and reachable.</summary>
public interface IHealthGrain : IGrainWithIntegerKey
{
    ValueTask<string> PingAsync();
}

[StatelessWorker]
public sealed class HealthGrain : Grain, IHealthGrain
{
    public ValueTask<string> PingAsync() => ValueTask.FromResult("pong");
}
