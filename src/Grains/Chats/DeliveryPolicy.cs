using MessengerAutoReply.Delivery;

namespace MessengerAutoReply.Chats;

/// <summary>
/// Retry timing for sends and file fetches: exponential backoff between RETRY_BACKOFF_MIN and RETRY_BACKOFF_MAX,
/// DELIVERY_MAX_ATTEMPTS tries, and a platform's own Retry-After (a rate budget) honoured without using up a try.
/// </summary>
public sealed class DeliveryPolicy(ChatOptions options)
{
    public TimeSpan Backoff(int attempt) => options.Backoff(attempt);

    /// <summary>What a send's result means for the pending reply: null when it is done (sent or failed for good).</summary>
    public PendingDelivery? Next(PendingDelivery pending, DeliveryResult result, DateTimeOffset now)
    {
        if (result.Sent || result.Permanent || (result.RetryAfter is null && pending.Attempts + 1 >= options.DeliveryMaxAttempts))
        {
            return null;
        }
        // A deferred reply was never attempted (rate budget): it waits for the reset without using up attempts.
        var attempts = result.RetryAfter is null ? pending.Attempts + 1 : pending.Attempts;
        return pending with { Attempts = attempts, NotBefore = now + (result.RetryAfter ?? Backoff(attempts)) };
    }

    /// <summary>A failed fetch tries again later, or is given up (null).</summary>
    public MediaJob? Next(MediaJob job, MediaOutcome outcome, DateTimeOffset now)
    {
        if (outcome.Error is null || outcome.Permanent || job.Attempts + 1 >= options.DeliveryMaxAttempts)
        {
            return null;
        }
        var attempts = job.Attempts + 1;
        return job with { Attempts = attempts, NotBefore = now + Backoff(attempts) };
    }
}
