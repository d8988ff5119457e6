using MessengerAutoReply.Delivery;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace MessengerAutoReply.Chats;

/// <summary>Sends one stored reply through its platform's gateway, outside the grain's turn, and reports the result.</summary>
public sealed class DeliveryWorker(
    GatewayRegistry gateways,
    ChatWorkRunner runner,
    IOptions<ChatOptions> options,
    [FromKeyedServices(ChatClock.Key)] TimeProvider time)
{
    /// <summary>The longest text one platform message takes (longer replies are split).</summary>
    public int MaxTextLength(string platform) => gateways.Find(platform)?.MaxTextLength ?? 4096;

    /// <summary>When the next send to <paramref name="chat"/> may start, given its last one (decision 10).</summary>
    public DateTimeOffset NextSendAt(Chat chat, DateTimeOffset? lastSentAt) =>
        lastSentAt is { } last && gateways.Find(chat.Platform) is { } gateway ? last + gateway.MinSendInterval(chat) : DateTimeOffset.MinValue;

    internal bool Start(IChatWorkReports grain, Chat chat, ChatMessage message) =>
        runner.TryStart(chat.Id, async () =>
        {
            var result = await SendAsync(chat, message);
            await runner.ReportAsync(chat.Id, () => grain.DeliveryCompletedAsync(message.Id, result));
        });

    private async Task<DeliveryResult> SendAsync(Chat chat, ChatMessage message)
    {
        if (gateways.Find(chat.Platform) is not { } gateway)
        {
            return DeliveryResult.Rejected($"Platform '{chat.Platform}' is not configured: set {GatewayRegistry.SettingFor(chat.Platform)}.");
        }
        try
        {
            using var timeout = new CancellationTokenSource(options.Value.DeliveryTimeout, time);
            return await gateway.SendTextAsync(chat, message, timeout.Token);
        }
        catch (Exception ex)
        {
            return DeliveryResult.Transient(ex.Message);
        }
    }
}
