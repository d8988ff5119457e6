using System.Collections.Concurrent;
using MessengerAutoReply.Chats;
using MessengerAutoReply.Events;
using MessengerAutoReply.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace MessengerAutoReply.Tests.Events;

/// <summary>The in-process event transport of the embedded default, on its own.</summary>
public sealed class LocalChatEventsTests
{
    private static ChatEvent Event(string chatId) => ChatEvent.For(new Chat
    {
        Id = chatId, Source = Sources.Telegram, Platform = Platforms.Telegram, PlatformChatId = chatId,
    });

    [Fact]
    public void Every_listener_gets_every_event_until_it_unsubscribes()
    {
        var events = new LocalChatEvents();
        var first = new List<string>();
        var second = new List<string>();
        using var a = events.Subscribe(e => first.Add(e.ChatId));
        var b = events.Subscribe(e => second.Add(e.ChatId));
        events.Publish(Event("c1"));
        b.Dispose();
        events.Publish(Event("c2"));
        Assert.Equal(["c1", "c2"], first);
        Assert.Equal(["c1"], second);
    }

    [Fact]
    public void A_failing_listener_costs_neither_the_publisher_nor_the_others()
    {
        var events = new LocalChatEvents();
        var seen = new List<string>();
        using var bad = events.Subscribe(_ => throw new InvalidOperationException("listener bug"));
        using var good = events.Subscribe(e => seen.Add(e.ChatId));
        events.Publish(Event("c1"));
        Assert.Equal(["c1"], seen);
    }
}

/// <summary>
/// Cluster mode's transport on a 3-silo test cluster: an API host's observer registered through
/// <see cref="IChatEventHostsGrain"/> gets what any silo's <see cref="ClusterChatEventSink"/> publishes, pushed.
/// </summary>
public sealed class ClusterChatEventsTests(ChatClusterFixture fixture) : IClassFixture<ChatClusterFixture>
{
    [Fact]
    public async Task Events_published_on_any_silo_are_pushed_to_every_registered_host_in_order()
    {
        var hostA = new LocalChatEvents();
        var hostB = new LocalChatEvents();
        var seenA = new ConcurrentQueue<string>();
        var seenB = new ConcurrentQueue<string>();
        using var subA = hostA.Subscribe(e => seenA.Enqueue(e.ChatId));
        using var subB = hostB.Subscribe(e => seenB.Enqueue(e.ChatId));
        var refA = fixture.Client.CreateObjectReference<IChatEventObserver>(new ChatEventObserver(hostA));
        var refB = fixture.Client.CreateObjectReference<IChatEventObserver>(new ChatEventObserver(hostB));
        var registry = fixture.Client.GetGrain<IChatEventHostsGrain>(0);
        await registry.RenewAsync(refA, ChatEventHostLease.Lease);
        await registry.RenewAsync(refB, ChatEventHostLease.Lease);
        try
        {
            var sinks = fixture.Cluster.Silos.Select(s => s.ServiceProvider.GetRequiredService<IChatEventSink>()).ToList();
            Assert.All(sinks, s => Assert.IsType<ClusterChatEventSink>(s));
            // A silo reads the host list at most once per refresh: wait until each has seen both hosts.
            await Eventually.True(() =>
            {
                foreach (var sink in sinks)
                {
                    sink.Publish(ChatEvent.For(new Chat { Id = "probe", Source = Sources.Telegram, Platform = Platforms.Telegram, PlatformChatId = "p" }));
                }
                return seenA.Count(c => c == "probe") >= sinks.Count && seenB.Count(c => c == "probe") >= sinks.Count;
            }, what: "every silo pushing to both hosts");

            var ids = Enumerable.Range(0, 300).Select(i => $"ev{i:D3}").ToList();
            foreach (var id in ids)
            {
                sinks[0].Publish(ChatEvent.For(new Chat { Id = id, Source = Sources.Telegram, Platform = Platforms.Telegram, PlatformChatId = id }));
            }
            await Eventually.True(() => seenA.Count(c => c.StartsWith("ev", StringComparison.Ordinal)) == 300 && seenB.Count(c => c.StartsWith("ev", StringComparison.Ordinal)) == 300,
                what: "all 300 events at both hosts");
            Assert.Equal(ids, seenA.Where(c => c.StartsWith("ev", StringComparison.Ordinal)));
            Assert.Equal(ids, seenB.Where(c => c.StartsWith("ev", StringComparison.Ordinal)));

            // A removed host gets nothing more once the silos' lists are refreshed.
            await registry.RemoveAsync(refB);
            Assert.DoesNotContain(refB, await registry.HostsAsync());
        }
        finally
        {
            await registry.RemoveAsync(refA);
            fixture.Client.DeleteObjectReference<IChatEventObserver>(refA);
            fixture.Client.DeleteObjectReference<IChatEventObserver>(refB);
        }
    }

    [Fact]
    public async Task A_host_whose_lease_ran_out_is_dropped()
    {
        var host = fixture.Client.CreateObjectReference<IChatEventObserver>(new ChatEventObserver(new LocalChatEvents()));
        var registry = fixture.Client.GetGrain<IChatEventHostsGrain>(0);
        await registry.RenewAsync(host, TimeSpan.FromMilliseconds(200));
        Assert.Contains(host, await registry.HostsAsync());
        await Eventually.Get(() => registry.HostsAsync(), hosts => !hosts.Contains(host), what: "the expired host gone");
        fixture.Client.DeleteObjectReference<IChatEventObserver>(host);
    }
}
