using System.Net;
using System.Text;
using MessengerAutoReply.Chats;
using MessengerAutoReply.Tests.Infrastructure;

namespace MessengerAutoReply.Tests.Brevo;

/// <summary>Brevo → service: the webhook route, normalization and dedup, against the loopback fake.</summary>
public sealed class BrevoWebhookTests(BrevoFixture brevo) : IClassFixture<BrevoFixture>
{
    private readonly CancellationToken _ct = TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_text_and_an_image_from_an_Instagram_visitor_are_stored_and_the_image_fetched()
    {
        var visitor = brevo.Fake.CreateVisitor("instagram", "Maria K");
        var chatId = BrevoFixture.ChatIdOf(visitor);
        var jpeg = Enumerable.Range(0, 3000).Select(i => (byte)(i * 7)).ToArray();
        // A JPEG's signature: the media route shows inline only what its bytes confirm (#15).
        jpeg[0] = 0xFF;
        jpeg[1] = 0xD8;
        jpeg[2] = 0xFF;

        Assert.Equal(200, await brevo.DeliverAsync(brevo.Fake.BuildVisitorTextFragment(visitor, "Hi! Do you ship to Lyon?")));
        Assert.Equal(200, await brevo.DeliverAsync(brevo.Fake.BuildVisitorFileFragment(visitor, jpeg, "image/jpeg", "IMG_2041.jpg")));

        var messages = await brevo.WaitForMessagesAsync(chatId, m => m.Count == 2 && m[1].MediaFileId is not null, "text and fetched image");
        var text = messages[0];
        Assert.Equal(MessageTypes.Text, text.Type);
        Assert.Equal("Hi! Do you ship to Lyon?", text.Content);
        Assert.True(text.IsIncoming);
        Assert.Equal(("instagram", "brevo", visitor.Id, "Maria K"), (text.Source, text.Platform, text.SenderId, text.SenderName));
        var image = messages[1];
        Assert.Equal(MessageTypes.Image, image.Type);
        Assert.Equal(("IMG_2041.jpg", "image/jpeg"), (image.FileName, image.MimeType));
        Assert.Null(image.Content); // Brevo's text is only the file name

        var chat = await brevo.ChatAsync(chatId);
        Assert.NotNull(chat);
        Assert.Equal((Sources.Instagram, Platforms.Brevo, visitor.Id, "Maria K"), (chat.Source, chat.Platform, chat.PlatformChatId, chat.Name));

        using var media = await brevo.Client.GetAsync($"/api/media/{image.MediaFileId}", _ct);
        Assert.Equal(HttpStatusCode.OK, media.StatusCode);
        Assert.Equal("image/jpeg", media.Content.Headers.ContentType?.MediaType);
        Assert.Equal(jpeg, await media.Content.ReadAsByteArrayAsync(_ct));
    }

    [Fact]
    public async Task The_same_fragment_delivered_twice_and_a_repeating_conversationStarted_are_one_message()
    {
        var visitor = brevo.Fake.CreateVisitor();
        var first = brevo.Fake.NewVisitorTextMessage("Bonjour");
        Assert.Equal(200, await brevo.DeliverAsync(brevo.Fake.BuildConversationStarted(visitor, first)));
        var fragment = brevo.Fake.BuildFragment(visitor, first);
        Assert.Equal(200, await brevo.DeliverAsync(fragment));
        var delivery = brevo.Fake.WebhookDeliveries[^1];
        Assert.Equal(200, await brevo.Fake.RedeliverAsync(delivery, _ct));

        var answer = await AnswerOfAsync(fragment);
        Assert.Contains("\"accepted\":0", answer, StringComparison.Ordinal);
        Assert.Contains("\"duplicates\":1", answer, StringComparison.Ordinal);

        var messages = await brevo.SettledMessagesAsync(visitor);
        Assert.Single(messages);
        Assert.Equal((string)first["id"]!, messages[0].PlatformMessageId);
    }

    [Fact]
    public async Task A_transcript_repeating_stored_messages_adds_nothing()
    {
        var visitor = brevo.Fake.CreateVisitor();
        Assert.Equal(200, await brevo.DeliverAsync(brevo.Fake.BuildVisitorTextFragment(visitor, "Is the blue one in stock?")));
        Assert.Equal(200, await brevo.DeliverAsync(brevo.Fake.BuildHumanAgentFragment(visitor, "Yes, size M and L.")));
        await brevo.PostReplyAsync(visitor, "Anything else?", responseMode: "api");
        await brevo.Fake.WaitForSentAsync(m => m.VisitorId == visitor.Id, cancellationToken: _ct);
        var before = await brevo.SettledMessagesAsync(visitor);
        Assert.Equal(3, before.Count);

        var transcript = brevo.Fake.BuildTranscript(visitor);
        Assert.Equal(4, ((System.Text.Json.Nodes.JsonArray)transcript["messages"]!).Count); // incl. the sentinel
        Assert.Equal(200, await brevo.DeliverAsync(transcript));

        var after = await brevo.SettledMessagesAsync(visitor);
        Assert.Equal(4, after.Count); // the three plus the first sentinel, nothing twice
        Assert.Equal(after.Count, after.Select(m => m.PlatformMessageId).Distinct().Count());
    }

    [Fact]
    public async Task A_human_agent_writing_in_Brevo_is_an_operator_takeover()
    {
        var visitor = brevo.Fake.CreateVisitor();
        var chatId = BrevoFixture.ChatIdOf(visitor);
        Assert.Equal(200, await brevo.DeliverAsync(brevo.Fake.BuildVisitorTextFragment(visitor, "Can I talk to a person?")));
        Assert.True((await Eventually.Get(() => brevo.ChatAsync(chatId), c => c is not null, what: "chat"))!.AutoMode);

        Assert.Equal(200, await brevo.DeliverAsync(brevo.Fake.BuildHumanAgentFragment(visitor, "Hi, Claire here.")));

        var chat = await Eventually.Get(() => brevo.ChatAsync(chatId), c => c is { AutoMode: false }, what: "autoMode off");
        Assert.False(chat!.AutoMode);
        var messages = await brevo.WaitForMessagesAsync(chatId, m => m.Count == 2, "visitor and agent message");
        var agent = messages[1];
        Assert.False(agent.IsIncoming);
        Assert.Equal((ResponseModes.Operator, MessageStatus.Sent, "Claire Martin"), (agent.ResponseMode, agent.Status, agent.SenderName));
        Assert.Equal(brevo.Fake.HumanAgent.Id, agent.SenderId);
    }

    [Fact]
    public async Task Brevo_automation_is_stored_as_outgoing_without_a_takeover()
    {
        var visitor = brevo.Fake.CreateVisitor();
        var chatId = BrevoFixture.ChatIdOf(visitor);
        Assert.Equal(200, await brevo.DeliverAsync(brevo.Fake.BuildVisitorTextFragment(visitor, "Hello")));
        var bot = brevo.Fake.NewAgentMessage("Our team answers within a day.");
        bot["isBot"] = true;
        var otherIntegration = brevo.Fake.NewAgentMessage("Your order shipped.", receivedFrom: "shop-crm");
        Assert.Equal(200, await brevo.DeliverAsync(brevo.Fake.BuildFragment(visitor, bot, otherIntegration)));

        var messages = await brevo.SettledMessagesAsync(visitor);
        Assert.Equal(3, messages.Count);
        Assert.All(messages.Skip(1), m => Assert.Equal((false, ResponseModes.Api), (m.IsIncoming, m.ResponseMode)));
        Assert.True((await brevo.ChatAsync(chatId))!.AutoMode);
    }

    [Fact]
    public async Task An_agent_message_with_our_label_is_our_echo_even_before_its_id_is_known()
    {
        var visitor = Fake().CreateVisitor();
        var chatId = BrevoFixture.ChatIdOf(visitor);
        Assert.Equal(200, await brevo.DeliverAsync(Fake().BuildVisitorTextFragment(visitor, "Hello")));
        // An echo overtaking the send's answer: its id is not stored yet, only the label tells it is ours.
        var early = Fake().NewAgentMessage("Hi! How can I help?", Fake().DefaultAgent, receivedFrom: "messenger-autoreply");
        Assert.Equal(200, await brevo.DeliverAsync(Fake().BuildFragment(visitor, early)));

        var messages = await brevo.SettledMessagesAsync(visitor);
        Assert.Single(messages);
        Assert.True((await brevo.ChatAsync(chatId))!.AutoMode);
    }

    [Fact]
    public async Task Other_Brevo_channels_keep_their_own_source()
    {
        var visitor = brevo.Fake.CreateVisitor("WhatsApp", "Ana");
        Assert.Equal(200, await brevo.DeliverAsync(brevo.Fake.BuildVisitorTextFragment(visitor, "Olá")));
        var chat = await Eventually.Get(() => brevo.ChatAsync(BrevoFixture.ChatIdOf(visitor, "whatsapp")), c => c is not null, what: "whatsapp chat");
        Assert.Equal(("whatsapp", Platforms.Brevo), (chat!.Source, chat.Platform));
    }

    [Fact]
    public async Task A_wrong_secret_gets_the_404_of_a_missing_route_and_a_log_line_without_the_secret()
    {
        var visitor = brevo.Fake.CreateVisitor();
        const string wrong = "not-the-secret-at-all-0123456789";
        var status = await brevo.Fake.DeliverAsync(brevo.Fake.BuildVisitorTextFragment(visitor, "sneaky"),
            brevo.WebhookUrl.Replace(BrevoFixture.Secret, wrong, StringComparison.Ordinal), _ct);
        Assert.Equal(404, status);

        using var wrongResponse = await Post($"/webhooks/brevo/{wrong}", "{}");
        using var missingRoute = await Post("/webhooks/nothing-here/x", "{}");
        Assert.Equal(HttpStatusCode.NotFound, wrongResponse.StatusCode);
        Assert.Equal(missingRoute.StatusCode, wrongResponse.StatusCode);
        Assert.Equal("application/problem+json", wrongResponse.Content.Headers.ContentType?.MediaType);

        Assert.Null(await brevo.ChatAsync(BrevoFixture.ChatIdOf(visitor)));
        Assert.Contains(brevo.Service.Logs.Lines, l => l.Contains("wrong secret", StringComparison.Ordinal));
        Assert.DoesNotContain(brevo.Service.Logs.Lines, l => l.Contains(wrong, StringComparison.Ordinal) || l.Contains(BrevoFixture.Secret, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Unknown_events_are_acknowledged_and_bad_bodies_are_never_a_500()
    {
        var visitor = brevo.Fake.CreateVisitor();
        Assert.Equal(200, await brevo.DeliverAsync(brevo.Fake.BuildUnknownEvent(visitor, "conversationRated")));
        Assert.Equal(200, await brevo.DeliverAsync(brevo.Fake.BuildUnknownEvent(visitor, "conversationRated")));
        Assert.Single(brevo.Service.Logs.Lines, l => l.Contains("'conversationRated'", StringComparison.Ordinal));

        Assert.Equal(400, await brevo.Fake.DeliverRawAsync("this is not json", cancellationToken: _ct));
        Assert.Equal(400, await brevo.Fake.DeliverRawAsync("[1,2]", cancellationToken: _ct));
        Assert.Equal(400, await brevo.Fake.DeliverRawAsync("""{"eventName":"conversationFragment","messages":[{"id":"x"}]}""", cancellationToken: _ct));
        // Wrong types everywhere: tolerated, nothing usable, still an answer below 500.
        var odd = await brevo.Fake.DeliverRawAsync(
            """{"eventName":"conversationFragment","visitor":{"id":"v-odd-1","source":7},"messages":[{"id":5,"type":[],"createdAt":"soon","file":"nope"},{"text":"no id"}]}""",
            cancellationToken: _ct);
        Assert.Equal(200, odd);
        Assert.Null(await brevo.ChatAsync(ChatIds.ForChat("7", "v-odd-1")));
    }

    private MessengerAutoReply.Fakes.Brevo.FakeBrevoServer Fake() => brevo.Fake;

    private async Task<HttpResponseMessage> Post(string path, string json)
    {
        using var client = brevo.Service.CreateClient(apiKey: null);
        return await client.PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"), _ct);
    }

    private async Task<string> AnswerOfAsync(System.Text.Json.Nodes.JsonObject payload)
    {
        using var client = brevo.Service.CreateClient(apiKey: null);
        using var response = await client.PostAsync(new Uri(brevo.WebhookUrl), new StringContent(payload.ToJsonString(), Encoding.UTF8, "application/json"), _ct);
        return await response.Content.ReadAsStringAsync(_ct);
    }
}
