using MessengerAutoReply.TestSupport;

[assembly: AssemblyFixture(typeof(MessengerAutoReply.Tests.Infrastructure.PocketBaseFixture))]

namespace MessengerAutoReply.Tests.Infrastructure;

/// <summary>
/// The one PocketBase of the whole test run (tests isolate by data). It is never stopped (decision 18): a test that
/// needs an empty server or stops it starts its own with <see cref="PocketBaseServer.StartNewAsync"/>.
/// </summary>
public sealed class PocketBaseFixture : PocketBaseServer, IAsyncLifetime;
