using MessengerAutoReply.TestSupport;

[assembly: AssemblyFixture(typeof(MessengerAutoReply.Tests.Infrastructure.RedisFixture))]

namespace MessengerAutoReply.Tests.Infrastructure;

/// <summary>
/// The one redis-server of the whole test run (nothing persisted). It is never stopped (decision 18): a test that
/// restarts Redis starts its own with <see cref="RedisServer.StartNewAsync"/>.
/// </summary>
public sealed class RedisFixture : RedisServer, IAsyncLifetime;
