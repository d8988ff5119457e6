using System.Text;
using System.Text.Json.Nodes;
using MessengerAutoReply.Chats;
using MessengerAutoReply.Tests.Brevo;
using Microsoft.Extensions.DependencyInjection;

namespace MessengerAutoReply.Tests.Security;

/// <summary>
/// Attacks dedup with length: a conversationTranscript (the whole conversation) longer than the ids a chat
/// remembers. Its old messages must not be taken again (a second answer, a second event), and the ones Brevo
/// never sent us before must not be lost. The chat's window is shrunk to 10 so the conversation stays short.
/// </summary>
public sealed class BrevoTranscriptReplayTests(BrevoFixture brevo) : IClassFixture<BrevoFixture>
{
    private const int Window = 10;
    private readonly CancellationToken _ct = TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_transcript_longer_than_the_dedup_window_takes_only_the_messages_not_seen_before()
    {
        brevo.Service.App.Services.GetRequiredService<ChatOptions>().DedupWindow = Window;
        var visitor = brevo.Fake.CreateVisitor("instagram", "Long Talker");
        var chatId = BrevoFixture.ChatIdOf(visitor);
        var start = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - 600_000;
        const int earlier = 3 * Window;
        for (var i = 0; i < earlier; i++)
        {
            Assert.Equal(200, await brevo.DeliverAsync(brevo.Fake.BuildFragment(visitor, brevo.Fake.NewVisitorTextMessage($"old {i}", start + i * 1000))));
        }
        await brevo.WaitForMessagesAsync(chatId, m => m.Count == earlier, $"{earlier} earlier messages archived");

        var transcript = brevo.Fake.BuildTranscript(visitor);
        var carried = transcript["messages"]!.AsArray();
        Assert.Equal(earlier, carried.Count);
        // Two messages the webhooks missed (Brevo sends them only in the transcript): these must be taken.
        carried.Add(brevo.Fake.NewVisitorTextMessage("missed 1", start + earlier * 1000));
        carried.Add(brevo.Fake.NewVisitorTextMessage("missed 2", start + (earlier + 1) * 1000));

        var answer = await PostAsync(transcript);
        Assert.Contains("\"accepted\":2", answer, StringComparison.Ordinal);
        Assert.Contains($"\"duplicates\":{earlier}", answer, StringComparison.Ordinal);

        var messages = await brevo.WaitForMessagesAsync(chatId, m => m.Count == earlier + 2, "the two missed messages added");
        Assert.Equal(earlier + 2, messages.Select(m => m.Id).Distinct().Count());
        Assert.Equal(["missed 1", "missed 2"], messages.TakeLast(2).Select(m => m.Content));
        var chat = await brevo.ChatAsync(chatId);
        Assert.Equal("missed 2", chat!.LastMessage);

        // The same transcript again (Brevo retries a webhook): nothing new at all.
        Assert.Contains("\"accepted\":0", await PostAsync(transcript), StringComparison.Ordinal);
    }

    private async Task<string> PostAsync(JsonObject payload)
    {
        using var client = brevo.Service.CreateClient(apiKey: null);
        using var response = await client.PostAsync(new Uri(brevo.WebhookUrl), new StringContent(payload.ToJsonString(), Encoding.UTF8, "application/json"), _ct);
        Assert.True(response.IsSuccessStatusCode, $"webhook answered {(int)response.StatusCode}");
        return await response.Content.ReadAsStringAsync(_ct);
    }
}
