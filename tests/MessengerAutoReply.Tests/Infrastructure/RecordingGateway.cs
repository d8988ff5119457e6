using System.Collections.Concurrent;
using MessengerAutoReply.Chats;
using MessengerAutoReply.Delivery;

namespace MessengerAutoReply.Tests.Infrastructure;

/// <summary>
/// A gateway for tests of the chat core, where the platform itself is not the subject (the platform adapters
/// are tested against their loopback fakes). Records sends and can fail on request.
/// </summary>
public sealed class RecordingGateway(string platform = Platforms.Telegram) : IMessengerGateway
{
    private readonly ConcurrentQueue<Func<ChatMessage, DeliveryResult?>> _scripted = new();
    private int _sequence;

    public string Platform => platform;

    public int MaxTextLength { get; set; } = 4096;

    public TimeSpan Latency { get; set; }

    public ConcurrentQueue<(Chat Chat, ChatMessage Message)> Sent { get; } = new();

    private int _attempts;

    public int Attempts => Volatile.Read(ref _attempts);

    /// <summary>The next sends answer these results, in order; then sends succeed again.</summary>
    public void Script(params DeliveryResult[] results)
    {
        foreach (var result in results)
        {
            _scripted.Enqueue(_ => result);
        }
    }

    public async Task<DeliveryResult> SendTextAsync(Chat chat, ChatMessage message, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _attempts);
        if (Latency > TimeSpan.Zero)
        {
            await Task.Delay(Latency, cancellationToken);
        }
        if (_scripted.TryDequeue(out var scripted) && scripted(message) is { } result)
        {
            return result;
        }
        Sent.Enqueue((chat, message));
        return DeliveryResult.Success($"{Interlocked.Increment(ref _sequence)}");
    }

    public Task SendTypingAsync(Chat chat, CancellationToken cancellationToken) => Task.CompletedTask;

    public IReadOnlyList<ChatMessage> SentTo(string chatId) => [.. Sent.Where(s => s.Chat.Id == chatId).Select(s => s.Message)];
}
