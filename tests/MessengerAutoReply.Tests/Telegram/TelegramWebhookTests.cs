using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using MessengerAutoReply.Chats;
using MessengerAutoReply.Fakes.Telegram;
using MessengerAutoReply.Tests.Infrastructure;
using static MessengerAutoReply.Tests.Telegram.TelegramTestKit;

namespace MessengerAutoReply.Tests.Telegram;

public sealed class TelegramWebhookTests(TelegramWebhookFixture fixture) : IClassFixture<TelegramWebhookFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private FakeTelegramServer Fake => fixture.Fake;

    private HttpClient Api => fixture.Service.Client;

    private static string Id(int? messageId) => messageId!.Value.ToString(CultureInfo.InvariantCulture);

    [Fact]
    public async Task SetWebhook_carries_the_generated_secret_and_the_update_types()
    {
        // Once per activation: the receiver's timer keeps ticking but must not set the webhook again. Two more
        // finished runs of it mean one started after this point and ended.
        var receiver = fixture.Service.Grains.GetGrain<MessengerAutoReply.Telegram.ITelegramReceiverGrain>(MessengerAutoReply.Telegram.ITelegramReceiverGrain.Key);
        var ticks = await receiver.GetCompletedTicksAsync();
        await Eventually.Get(() => receiver.GetCompletedTicksAsync(), t => t >= ticks + 2, what: "two more runs of the receiver's timer");
        var call = Assert.Single(Fake.CallsTo("setWebhook"));
        Assert.Equal(1, Fake.CallCount("getMe"));
        Assert.Equal($"{fixture.Service.BaseUri}webhooks/telegram", call.Parameters["url"]);
        Assert.Equal(File.ReadAllText(Path.Combine(fixture.DataDir, "telegram-webhook-secret")).Trim(), fixture.Secret);
        Assert.True(fixture.Secret.Length >= 32);
        Assert.Contains("edited_message", call.Parameters["allowed_updates"], StringComparison.Ordinal);
        Assert.Equal(0, Fake.CallCount("getUpdates"));
    }

    [Fact]
    public async Task An_update_is_acknowledged_after_it_is_stored_and_a_redelivery_is_stored_once()
    {
        var user = Fake.CreateUser("Lena", "Smirnova");
        var chatId = ChatIdOf(user.Id);
        fixture.Storage.Hold("chat", chatId);
        EnqueuedUpdate update;
        try
        {
            update = Fake.EnqueueText("Hello from the webhook", from: user);
            await fixture.Storage.WaitForHeldWriteAsync();
            // The chat grain is writing the message now. Another chat's update, delivered in parallel, goes all the
            // way through meanwhile; this one must still be waiting for its answer.
            var other = Fake.CreateUser("Bystander");
            var otherUpdate = Fake.EnqueueText("meanwhile", from: other);
            await Fake.WaitForAsync(f => f.WebhookAttempts.Any(a => a.UpdateId == otherUpdate.UpdateId && a.StatusCode == 200), cancellationToken: Ct);
            Assert.DoesNotContain(Fake.WebhookAttempts, a => a.UpdateId == update.UpdateId);
        }
        finally
        {
            fixture.Storage.Release();
        }
        await Fake.WaitForAsync(f => f.WebhookAttempts.Any(a => a.UpdateId == update.UpdateId && a.StatusCode == 200), cancellationToken: Ct);
        var photo = Fake.EnqueuePhoto("and a photo", from: user);

        var message = await WaitForMessageAsync(Api, chatId, Id(update.MessageId));
        Assert.Equal("Hello from the webhook", message.Content);
        Assert.Equal("Lena Smirnova", (await ChatAsync(Api, chatId))!.Name);
        await WaitForMessageAsync(Api, chatId, Id(photo.MessageId), m => m.MediaFileId is not null);
        await Fake.WaitForNoPendingUpdatesAsync(cancellationToken: Ct);
        // The service answers 401 without the registered secret header: a 200 is the service accepting the fake's header.
        Assert.Contains(Fake.WebhookAttempts, a => a.UpdateId == update.UpdateId && a.StatusCode == 200);

        var delivered = Fake.WebhookDeliveredCount;
        Fake.RedeliverUpdate(update.UpdateId);
        await Fake.WaitForWebhookDeliveriesAsync(delivered + 1, cancellationToken: Ct);
        Fake.EnqueueText("marker", from: user);
        var all = await WaitForMessagesAsync(Api, chatId, l => l.Any(m => m.Content == "marker"), "the marker");
        Assert.Equal(3, all.Count);
        Assert.Single(all, m => m.PlatformMessageId == Id(update.MessageId));
    }

    [Fact]
    public async Task An_edit_arrives_through_the_webhook()
    {
        var user = Fake.CreateUser("Maxim");
        var chatId = ChatIdOf(user.Id);
        var original = Fake.EnqueueText("Price of the red one?", from: user);
        await WaitForMessageAsync(Api, chatId, Id(original.MessageId));

        Fake.EnqueueEditedText(original.MessageId!.Value, "Price of the blue one?", from: user);

        await WaitForMessageAsync(Api, chatId, Id(original.MessageId), m => m.Content == "Price of the blue one?");
        Assert.Single(await MessagesAsync(Api, chatId));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("wrong-secret")]
    public async Task A_missing_or_wrong_secret_header_is_401(string? secret)
    {
        var user = Fake.CreateUser("Nina");
        var body = $$$"""{"update_id":1,"message":{"message_id":1,"date":1767268800,"chat":{"id":{{{user.Id}}},"type":"private","first_name":"Nina"},"text":"forged"}}""";
        using var request = new HttpRequestMessage(HttpMethod.Post, "/webhooks/telegram") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        if (secret is not null)
        {
            request.Headers.Add("X-Telegram-Bot-Api-Secret-Token", secret);
        }
        using var http = fixture.Service.CreateClient(apiKey: null);

        using var response = await http.SendAsync(request, Ct);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Null(await ChatAsync(Api, ChatIdOf(user.Id)));
    }

    [Fact]
    public async Task A_malformed_body_is_400_and_logged()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/webhooks/telegram") { Content = new StringContent("{\"update_id\": \"not json", Encoding.UTF8, "application/json") };
        request.Headers.Add("X-Telegram-Bot-Api-Secret-Token", fixture.Secret);
        using var http = fixture.Service.CreateClient(apiKey: null);

        using var response = await http.SendAsync(request, Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(fixture.Service.Logs.Lines, l => l.Contains("malformed update", StringComparison.Ordinal));
        Assert.DoesNotContain(fixture.Service.Logs.Lines, l => l.Contains(fixture.Secret, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_reply_goes_out_while_receiving_by_webhook()
    {
        var user = Fake.CreateUser("Oksana");
        var update = Fake.EnqueueText("hi", from: user);
        await WaitForMessageAsync(Api, ChatIdOf(user.Id), Id(update.MessageId));

        using var response = await Api.PostAsJsonAsync(new Uri("/api/messages", UriKind.Relative),
            new { source = "telegram", platformChatId = user.Id.ToString(CultureInfo.InvariantCulture), text = "Hello Oksana" }, Ct);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);

        var sent = await Fake.WaitForSentMessageAsync(s => s.ChatId == user.Id, cancellationToken: Ct);
        await WaitForMessageAsync(Api, ChatIdOf(user.Id), sent.MessageId.ToString(CultureInfo.InvariantCulture), m => m.Status == MessageStatus.Sent);
    }
}
