using System.Threading.Channels;
using MessengerAutoReply.Chats;
using MessengerAutoReply.Delivery;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace MessengerAutoReply.Brevo;

/// <summary>
/// Sends replies as the Brevo agent. Brevo's rate budget belongs to the whole account (as low as 100
/// requests/hour), so every send of this process goes through one FIFO queue with one sender: it keeps each
/// chat's order (a chat has one reply in flight and the queue never reorders), holds replies while the budget
/// is used up, and hands a reply back as deferred (never failed, never dropped) when the reset is further away
/// than a delivery call may wait. Only Brevo sends queue here; Telegram has its own gateway.
/// </summary>
public sealed partial class BrevoGateway : IMessengerGateway, IAsyncDisposable
{
    /// <summary>Instagram's DM text cap as integrators report it (reference 4, unverified); Brevo documents none.</summary>
    public const int InstagramMaxTextLength = 1000;

    private readonly BrevoApiClient _api;
    private readonly BrevoOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<BrevoGateway> _logger;
    private readonly Channel<Job> _jobs = Channel.CreateUnbounded<Job>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lazy<Task> _loop;
    private DateTimeOffset _blockedUntil = DateTimeOffset.MinValue;
    private int _disposed;

    public BrevoGateway(BrevoApiClient api, IOptions<BrevoOptions> options, TimeProvider time, ILogger<BrevoGateway> logger)
    {
        _api = api;
        _options = options.Value;
        _time = time;
        _logger = logger;
        _loop = new Lazy<Task>(() => Task.Run(RunAsync), LazyThreadSafetyMode.ExecutionAndPublication);
    }

    public string Platform => Platforms.Brevo;

    public int MaxTextLength => InstagramMaxTextLength;

    public async Task<DeliveryResult> SendTextAsync(Chat chat, ChatMessage message, CancellationToken cancellationToken)
    {
        var job = new Job(chat.PlatformChatId, message.Content ?? "", _time.GetUtcNow(), cancellationToken);
        _ = _loop.Value;
        if (!_jobs.Writer.TryWrite(job))
        {
            return DeliveryResult.Transient("The Brevo sender is stopping.");
        }
        // A caller that gives up while queued frees its slot; the sender skips completed jobs.
        await using var registration = cancellationToken.Register(() => job.Completion.TrySetCanceled(cancellationToken));
        return await job.Completion.Task;
    }

    /// <summary>Brevo's API has no typing indicator.</summary>
    public Task SendTypingAsync(Chat chat, CancellationToken cancellationToken) => Task.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        // Registered as itself and as IMessengerGateway: the container disposes it twice.
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }
        _jobs.Writer.TryComplete();
        await _stopping.CancelAsync();
        if (_loop.IsValueCreated)
        {
            try
            {
                await _loop.Value;
            }
            catch (OperationCanceledException)
            {
            }
        }
        while (_jobs.Reader.TryRead(out var job))
        {
            job.Completion.TrySetResult(DeliveryResult.Transient("The Brevo sender stopped."));
        }
        _stopping.Dispose();
    }

    private async Task RunAsync()
    {
        await foreach (var job in _jobs.Reader.ReadAllAsync(_stopping.Token))
        {
            if (job.Completion.Task.IsCompleted)
            {
                continue;
            }
            try
            {
                job.Completion.TrySetResult(await SendOneAsync(job));
            }
            catch (OperationCanceledException) when (job.Token.IsCancellationRequested || _stopping.IsCancellationRequested)
            {
                job.Completion.TrySetCanceled(job.Token.IsCancellationRequested ? job.Token : _stopping.Token);
            }
            catch (Exception ex)
            {
                // Timeouts and broken connections: the chat retries with backoff. Brevo takes no idempotency key,
                // so a send that reached Brevo before the failure may go out twice (README, delivery guarantees).
                job.Completion.TrySetResult(DeliveryResult.Transient($"Brevo could not be reached: {ex.Message}"));
            }
        }
    }

    private async Task<DeliveryResult> SendOneAsync(Job job)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(job.Token, _stopping.Token);
        while (true)
        {
            var now = _time.GetUtcNow();
            var wait = _blockedUntil - now;
            if (wait > TimeSpan.Zero)
            {
                if (now - job.Enqueued + wait > _options.QueueMaxWait)
                {
                    return DeliveryResult.Deferred($"Waiting for Brevo's rate budget, which resets in {Math.Ceiling(wait.TotalSeconds):0} s.", wait);
                }
                await Task.Delay(wait, _time, linked.Token);
            }
            var outcome = await _api.SendAgentMessageAsync(job.VisitorId, job.Text, linked.Token);
            Track(outcome);
            if (!outcome.RateLimited)
            {
                return outcome.Result;
            }
            // Refused for the budget: nothing was sent, so the same reply goes again after the reset.
        }
    }

    private void Track(BrevoSendOutcome outcome)
    {
        var now = _time.GetUtcNow();
        if (outcome.RateLimited)
        {
            var reset = outcome.Budget?.Reset ?? _options.RateLimitFallbackWait;
            _blockedUntil = now + reset;
            LogRateLimited(reset.TotalSeconds);
        }
        else if (outcome.Budget is { Remaining: <= 0, Reset: { } reset })
        {
            // Used up the window: wait for its reset instead of spending a request on a certain 429.
            _blockedUntil = now + reset;
            LogBudgetUsed(outcome.Budget.Limit, reset.TotalSeconds);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Brevo refused a send for its rate limit (429); Brevo sends wait {Seconds:0.#} s for the reset")]
    private partial void LogRateLimited(double seconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "Brevo rate budget of {Limit} requests used up; Brevo sends wait {Seconds:0.#} s for the reset")]
    private partial void LogBudgetUsed(int? limit, double seconds);

    private sealed record Job(string VisitorId, string Text, DateTimeOffset Enqueued, CancellationToken Token)
    {
        public TaskCompletionSource<DeliveryResult> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
