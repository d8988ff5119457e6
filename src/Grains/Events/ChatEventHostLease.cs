namespace MessengerAutoReply.Events;

/// <summary>How API hosts keep their place in <see cref="IChatEventHostsGrain"/> and how fresh silos keep its list.</summary>
public static class ChatEventHostLease
{
    public static readonly TimeSpan Renewal = TimeSpan.FromSeconds(5);

    /// <summary>Three missed renewals: a host is gone.</summary>
    public static readonly TimeSpan Lease = TimeSpan.FromSeconds(15);

    /// <summary>How often a silo re-reads the host list (a new API host gets events within this).</summary>
    public static readonly TimeSpan Refresh = TimeSpan.FromSeconds(1);
}
