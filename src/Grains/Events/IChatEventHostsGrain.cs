namespace MessengerAutoReply.Events;

/// <summary>
/// Which API hosts want chat events (cluster mode). Hosts renew their lease; silos read the list and push to
/// each host directly, so events do not pass through this grain.
/// </summary>
public interface IChatEventHostsGrain : IGrainWithIntegerKey
{
    /// <summary>Registers or renews <paramref name="host"/> for <paramref name="lease"/>.</summary>
    Task RenewAsync(IChatEventObserver host, TimeSpan lease);

    Task RemoveAsync(IChatEventObserver host);

    /// <summary>The hosts whose lease has not run out.</summary>
    Task<IChatEventObserver[]> HostsAsync();
}
