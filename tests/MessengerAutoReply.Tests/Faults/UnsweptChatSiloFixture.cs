namespace MessengerAutoReply.Tests.Faults;

/// <summary>
/// <see cref="FaultyChatSilo"/> whose pending-work sweep practically never runs and whose takeovers end after 1 s:
/// what a chat does by its own timer shows without the sweep covering for it.
/// </summary>
public sealed class UnsweptChatSiloFixture : FaultyChatSilo
{
    protected override IEnumerable<KeyValuePair<string, string?>> Settings =>
    [
        new("PENDING_SWEEP_INTERVAL", "1h"),
        new("AUTO_MODE_RESUME_AFTER", "1s"),
    ];
}
