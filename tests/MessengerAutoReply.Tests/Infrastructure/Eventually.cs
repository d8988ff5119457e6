namespace MessengerAutoReply.Tests.Infrastructure;

/// <summary>Polls a condition until it holds: the system under test is asynchronous by design.</summary>
public static class Eventually
{
    public static async Task<T> Get<T>(Func<Task<T>> probe, Func<T, bool> done, TimeSpan? timeout = null, string? what = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(15));
        T value;
        while (true)
        {
            value = await probe();
            if (done(value))
            {
                return value;
            }
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Condition not met in time: {what ?? "(unnamed)"}; last value: {value}");
            }
            await Task.Delay(50);
        }
    }

    public static Task True(Func<bool> condition, TimeSpan? timeout = null, string? what = null) =>
        Get(() => Task.FromResult(condition()), v => v, timeout, what);
}
