using MessengerAutoReply.Chats;

namespace MessengerAutoReply.Tests.Faults;

/// <summary>
/// Stands between the poller and the chat grains: refuses (or fails, as storage that is down would) the hand-off of
/// the customer messages whose text a test names, and counts every attempt.
/// </summary>
public sealed class ChatHandOffFaults : IIncomingGrainCallFilter
{
    private readonly Dictionary<string, Func<Exception>> _faults = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _attempts = new(StringComparer.Ordinal);

    public void Fail(string text, Func<Exception> error)
    {
        lock (_faults) _faults[text] = error;
    }

    public void Heal(string text)
    {
        lock (_faults) _faults.Remove(text);
    }

    /// <summary>Every hand-off fails with <paramref name="error"/> (null: back to the named faults only).</summary>
    public void FailAll(Func<Exception>? error)
    {
        lock (_faults) _all = error;
    }

    private Func<Exception>? _all;

    /// <summary>No fault any more (the attempts stay counted): what one test injected must not refuse the next test's updates.</summary>
    public void HealAll()
    {
        lock (_faults)
        {
            _faults.Clear();
            _all = null;
        }
    }

    public int Attempts(string text)
    {
        lock (_faults) return _attempts.GetValueOrDefault(text);
    }

    public Task Invoke(IIncomingGrainCallContext context)
    {
        if (context.InterfaceMethod?.DeclaringType == typeof(IChatGrain) && context.InterfaceMethod.Name == nameof(IChatGrain.ReceiveAsync)
            && context.Request.GetArgument(0) is InboundMessage { Content: { } content })
        {
            Func<Exception>? fault;
            lock (_faults)
            {
                _attempts[content] = _attempts.GetValueOrDefault(content) + 1;
                if (!_faults.TryGetValue(content, out fault))
                {
                    fault = _all;
                }
            }
            if (fault is not null)
            {
                throw fault();
            }
        }
        return context.Invoke();
    }
}
