using System.Net;
using System.Threading.RateLimiting;

namespace MessengerAutoReply.ApiHost.Operators;

/// <summary>
/// Failed sign-ins (and wrong current passwords) counted per client address and per account, as the API key's
/// wrong-key limit is: past either limit the attempt is answered 429 without the password being checked, until
/// the window passes. Counts are per process (as the API key's); a cluster of N API hosts allows N times as many.
/// </summary>
public sealed class LoginLimiter : IDisposable
{
    private readonly PartitionedRateLimiter<IPAddress> _addresses;
    private readonly PartitionedRateLimiter<string> _accounts;

    public LoginLimiter(LoginOptions options)
    {
        _addresses = PartitionedRateLimiter.Create<IPAddress, IPAddress>(address => RateLimitPartition.GetFixedWindowLimiter(address, _ => new FixedWindowRateLimiterOptions
        {
            PermitLimit = options.AddressFailureLimit, Window = options.FailureWindow, QueueLimit = 0,
        }));
        _accounts = PartitionedRateLimiter.Create<string, string>(account => RateLimitPartition.GetFixedWindowLimiter(account, _ => new FixedWindowRateLimiterOptions
        {
            PermitLimit = options.AccountFailureLimit, Window = options.FailureWindow, QueueLimit = 0,
        }), StringComparer.Ordinal);
    }

    /// <summary>Null while both have attempts left; else how long to wait.</summary>
    public TimeSpan? Blocked(IPAddress address, string account)
    {
        using var byAddress = _addresses.AttemptAcquire(address, 0);
        using var byAccount = _accounts.AttemptAcquire(account, 0);
        if (byAddress.IsAcquired && byAccount.IsAcquired)
        {
            return null;
        }
        var lease = byAddress.IsAcquired ? byAccount : byAddress;
        return lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? after : TimeSpan.FromMinutes(1);
    }

    public void Failed(IPAddress address, string account)
    {
        using var byAddress = _addresses.AttemptAcquire(address);
        using var byAccount = _accounts.AttemptAcquire(account);
    }

    public void Dispose()
    {
        _addresses.Dispose();
        _accounts.Dispose();
    }
}
