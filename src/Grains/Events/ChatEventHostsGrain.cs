using Microsoft.Extensions.DependencyInjection;
using MessengerAutoReply.Chats;

namespace MessengerAutoReply.Events;

/// <summary>
/// The lease table of <see cref="IChatEventHostsGrain"/>, in memory: after a silo loss it reactivates empty and
/// the hosts' next renewal (every <see cref="ChatEventHostLease.Renewal"/>) fills it again. A crashed host
/// drops out when its lease ends, so stale entries do not pile up as stream subscriptions did (orleans-notes, 2).
/// </summary>
public sealed class ChatEventHostsGrain([FromKeyedServices(ChatClock.Key)] TimeProvider time) : Grain, IChatEventHostsGrain
{
    private readonly Dictionary<IChatEventObserver, DateTimeOffset> _hosts = [];

    public Task RenewAsync(IChatEventObserver host, TimeSpan lease)
    {
        _hosts[host] = time.GetUtcNow() + lease;
        return Task.CompletedTask;
    }

    public Task RemoveAsync(IChatEventObserver host)
    {
        _hosts.Remove(host);
        return Task.CompletedTask;
    }

    public Task<IChatEventObserver[]> HostsAsync()
    {
        var now = time.GetUtcNow();
        foreach (var expired in _hosts.Where(h => h.Value <= now).Select(h => h.Key).ToList())
        {
            _hosts.Remove(expired);
        }
        return Task.FromResult(_hosts.Keys.ToArray());
    }
}
