using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace MessengerAutoReply.Archive;

/// <summary>
/// Archive writes accepted by this process's chat grains and not yet confirmed by the archive. Each ChatGrain
/// reports its own outbox after every change; the sum is the metric <c>messenger.archive.backlog</c> and part
/// of <c>/health/ready</c>. Per process: in cluster mode each silo reports its own chats.
/// </summary>
public sealed class ArchiveBacklog : IDisposable
{
    public const string MeterName = "MessengerAutoReply";

    private readonly ConcurrentDictionary<string, (int Pending, bool Failing)> _chats = new();
    private readonly Meter _meter;
    private readonly Counter<long> _rejected;
    private long _rejectedTotal;

    public ArchiveBacklog(IMeterFactory? meters = null)
    {
        _meter = meters?.Create(MeterName) ?? new Meter(MeterName);
        _meter.CreateObservableGauge("messenger.archive.backlog", () => Pending, "{write}",
            "Archive writes (chats, messages) accepted but not yet stored in the archive");
        _meter.CreateObservableGauge("messenger.archive.failing_chats", () => FailingChats, "{chat}",
            "Chats whose last archive write failed and is waiting to be retried");
        _rejected = _meter.CreateCounter<long>("messenger.archive.rejected", "{write}",
            "Archive writes the archive refused for their content and that were set aside");
    }

    public long RejectedTotal => Interlocked.Read(ref _rejectedTotal);

    public void Rejected()
    {
        Interlocked.Increment(ref _rejectedTotal);
        _rejected.Add(1);
    }

    public int Pending => _chats.Values.Sum(c => c.Pending);

    public int FailingChats => _chats.Values.Count(c => c.Failing);

    public void Report(string chatId, int pending, bool failing)
    {
        if (pending == 0)
        {
            _chats.TryRemove(chatId, out _);
        }
        else
        {
            _chats[chatId] = (pending, failing);
        }
    }

    public void Dispose() => _meter.Dispose();
}
