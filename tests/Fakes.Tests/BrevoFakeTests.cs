using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using MessengerAutoReply.Fakes.Brevo;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace MessengerAutoReply.Fakes.Tests;

/// <summary>Drives <see cref="FakeBrevoServer"/> through a plain HttpClient, as the service's Brevo adapter does.</summary>
public sealed class BrevoFakeTests : IAsyncLifetime
{
    private const string OurLabel = "messenger-autoreply";
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    private FakeBrevoServer _fake = null!;
    private WebhookListener _listener = null!;
    private readonly HttpClient _http = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _fake = await FakeBrevoServer.StartAsync(Ct);
        _listener = await WebhookListener.StartAsync("s3cr3t-token");
        _fake.WebhookUrl = _listener.WebhookUrl;
    }

    public async ValueTask DisposeAsync()
    {
        await _fake.DisposeAsync();
        await _listener.DisposeAsync();
        _http.Dispose();
    }

    [Fact]
    public async Task Send_returns_documented_message_and_is_recorded()
    {
        Assert.EndsWith("/v3", _fake.ApiBaseUrl, StringComparison.Ordinal);
        var visitor = _fake.CreateVisitor();

        using var response = await SendAsync(new JsonObject
        {
            ["visitorId"] = visitor.Id,
            ["text"] = "Yes, we ship to Lyon <3",
            ["agentId"] = _fake.AgentId,
            ["receivedFrom"] = OurLabel,
        });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var message = await ReadObjectAsync(response);
        var id = (string)message["id"]!;
        Assert.Equal(17, id.Length);
        Assert.Equal("agent", (string?)message["type"]);
        Assert.Equal("Yes, we ship to Lyon <3", (string?)message["text"]);
        Assert.Equal("Yes, we ship to Lyon &lt;3", (string?)message["html"]);
        Assert.Equal(visitor.Id, (string?)message["visitorId"]);
        Assert.Equal(_fake.AgentId, (string?)message["agentId"]);
        Assert.Equal("Acme Assistant", (string?)message["agentName"]);
        Assert.Equal(OurLabel, (string?)message["receivedFrom"]);
        Assert.False((bool)message["isPushed"]!);
        var createdAt = DateTimeOffset.FromUnixTimeMilliseconds((long)message["createdAt"]!);
        Assert.InRange(createdAt, DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddMinutes(1));

        var sent = Assert.Single(await _fake.WaitForSentAsync(1, Wait, Ct));
        Assert.Equal(id, sent.Id);
        Assert.Equal(visitor.Id, sent.VisitorId);
        Assert.Equal(OurLabel, sent.ReceivedFrom);
        Assert.Equal(FakeBrevoServer.DefaultApiKey, sent.Headers["api-key"]);
        Assert.StartsWith("application/json", sent.Headers["content-type"], StringComparison.Ordinal);

        // Stored for GET like Brevo's message store.
        using var get = await ApiAsync(HttpMethod.Get, $"/conversations/messages/{id}");
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Equal(id, (string?)(await ReadObjectAsync(get))["id"]);
    }

    [Fact]
    public async Task Auth_failures_are_401_with_brevo_bodies()
    {
        var body = SendBody(_fake.CreateVisitor().Id, "hi");

        using var missing = await SendAsync(body, apiKey: null);
        Assert.Equal(HttpStatusCode.Unauthorized, missing.StatusCode);
        var missingBody = await ReadObjectAsync(missing);
        Assert.Equal("unauthorized", (string?)missingBody["code"]);
        Assert.Equal("authentication not found in headers", (string?)missingBody["message"]);

        using var wrong = await SendAsync(body, apiKey: "xkeysib-wrong");
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.Equal("Key not found", (string?)(await ReadObjectAsync(wrong))["message"]);

        using var bearer = new HttpRequestMessage(HttpMethod.Post, _fake.ApiBaseUrl + "/conversations/messages")
        {
            Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"),
        };
        bearer.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _fake.ApiKey);
        using var bearerResponse = await _http.SendAsync(bearer, Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, bearerResponse.StatusCode);

        _fake.SimulateUnrecognisedIp = true;
        using var ip = await SendAsync(body);
        Assert.Equal(HttpStatusCode.Unauthorized, ip.StatusCode);
        Assert.Contains("unrecognised IP address", (string?)(await ReadObjectAsync(ip))["message"], StringComparison.Ordinal);

        Assert.Empty(_fake.SentMessages);
        Assert.Equal(4, _fake.Requests.Count);
    }

    [Fact]
    public async Task Validation_errors_are_400_with_documented_codes()
    {
        var visitor = _fake.CreateVisitor();

        using var noVisitor = await SendAsync(new JsonObject { ["text"] = "hi", ["agentId"] = _fake.AgentId });
        Assert.Equal(HttpStatusCode.BadRequest, noVisitor.StatusCode);
        var noVisitorBody = await ReadObjectAsync(noVisitor);
        Assert.Equal("missing_parameter", (string?)noVisitorBody["code"]);
        Assert.Contains("visitorId", (string?)noVisitorBody["message"], StringComparison.Ordinal);

        using var noText = await SendAsync(new JsonObject { ["visitorId"] = visitor.Id, ["agentId"] = _fake.AgentId });
        Assert.Equal("missing_parameter", (string?)(await ReadObjectAsync(noText))["code"]);

        using var noAgent = await SendAsync(new JsonObject { ["visitorId"] = visitor.Id, ["text"] = "hi" });
        Assert.Equal(HttpStatusCode.BadRequest, noAgent.StatusCode);
        Assert.Equal("missing_parameter", (string?)(await ReadObjectAsync(noAgent))["code"]);

        // Half of the email form is not enough: all three of agentEmail + agentName + receivedFrom are needed.
        using var halfTriple = await SendAsync(new JsonObject
        {
            ["visitorId"] = visitor.Id, ["text"] = "hi", ["agentEmail"] = "x@acme.example", ["agentName"] = "X",
        });
        Assert.Equal(HttpStatusCode.BadRequest, halfTriple.StatusCode);

        using var unknownAgent = await SendAsync(SendBody(visitor.Id, "hi", agentId: "nosuchagent000000"));
        Assert.Equal("invalid_parameter", (string?)(await ReadObjectAsync(unknownAgent))["code"]);

        using var malformed = await ApiAsync(HttpMethod.Post, "/conversations/messages", "{\"visitorId\": ");
        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
        Assert.Equal("bad_request", (string?)(await ReadObjectAsync(malformed))["code"]);

        // Refused by default: Brevo knows a visitor from a webhook or from the widget's identification only.
        using var unknownVisitor = await SendAsync(SendBody("someone-else", "hi"));
        Assert.Equal("invalid_parameter", (string?)(await ReadObjectAsync(unknownVisitor))["code"]);
        _fake.BindVisitor("someone-bound");
        using var bound = await SendAsync(SendBody("someone-bound", "hi"));
        Assert.Equal(HttpStatusCode.OK, bound.StatusCode);

        // The triple form is accepted.
        using var triple = await SendAsync(new JsonObject
        {
            ["visitorId"] = visitor.Id, ["text"] = "hi", ["agentEmail"] = "x@acme.example", ["agentName"] = "X",
            ["receivedFrom"] = OurLabel,
        });
        Assert.Equal(HttpStatusCode.OK, triple.StatusCode);
        Assert.Equal("X", (string?)(await ReadObjectAsync(triple))["agentName"]);
        Assert.Equal(2, _fake.SentMessages.Count);
    }

    [Fact]
    public async Task Rate_limit_answers_429_with_headers_then_recovers_after_reset()
    {
        // The window runs on a fake clock: a slow machine cannot end it between the sends.
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UtcNow);
        _fake.TimeProvider = clock;
        _fake.RateLimitPerWindow = 3;
        _fake.RateWindow = TimeSpan.FromSeconds(1);
        var body = SendBody(_fake.CreateVisitor().Id, "hi");

        for (var expectedRemaining = 2; expectedRemaining >= 0; expectedRemaining--)
        {
            using var ok = await SendAsync(body);
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
            Assert.Equal("3", Header(ok, "x-sib-ratelimit-limit"));
            Assert.Equal(expectedRemaining.ToString(System.Globalization.CultureInfo.InvariantCulture),
                Header(ok, "x-sib-ratelimit-remaining"));
            Assert.Equal("1", Header(ok, "x-sib-ratelimit-reset"));
        }

        using var limited = await SendAsync(body);
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.Equal("3", Header(limited, "x-sib-ratelimit-limit"));
        Assert.Equal("0", Header(limited, "x-sib-ratelimit-remaining"));
        var reset = int.Parse(Header(limited, "x-sib-ratelimit-reset"), System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(reset, 1, 1);
        Assert.Equal("too_many_requests", (string?)(await ReadObjectAsync(limited))["code"]);
        Assert.Equal(1, _fake.TooManyRequestsCount);
        Assert.Equal(3, _fake.SentMessages.Count);

        // Honour the reset header the way the adapter must.
        clock.Advance(TimeSpan.FromSeconds(reset));
        using var after = await SendAsync(body);
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
        Assert.Equal("2", Header(after, "x-sib-ratelimit-remaining"));
        Assert.Equal(4, _fake.SentMessages.Count);
    }

    [Fact]
    public async Task Starts_fast_on_loopback()
    {
        var sw = System.Diagnostics.Stopwatch.StartNew();
        await using var second = await FakeBrevoServer.StartAsync(Ct);
        sw.Stop();
        Assert.StartsWith("http://127.0.0.1:", second.BaseUrl, StringComparison.Ordinal);
        Assert.False(second.BaseUrl.EndsWith('/'));
        Assert.NotEqual(_fake.BaseUrl, second.BaseUrl);
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(1), $"start took {sw.ElapsedMilliseconds} ms");
    }

    [Fact]
    public async Task The_default_budget_is_Brevos_general_tier_of_100_requests_an_hour()
    {
        var body = SendBody(_fake.CreateVisitor().Id, "hi");
        using var first = await SendAsync(body);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal("100", Header(first, "x-sib-ratelimit-limit"));
        Assert.Equal("99", Header(first, "x-sib-ratelimit-remaining"));
        Assert.InRange(int.Parse(Header(first, "x-sib-ratelimit-reset"), System.Globalization.CultureInfo.InvariantCulture), 3599, 3600);
        for (var i = 1; i < 100; i++)
        {
            using var ok = await SendAsync(body);
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        }
        using var limited = await SendAsync(body);
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.Equal(1, _fake.TooManyRequestsCount);
    }

    [Fact]
    public async Task Without_a_budget_on_request_there_are_no_headers()
    {
        _fake.RateLimitPerWindow = null;
        var body = SendBody(_fake.CreateVisitor().Id, "hi");
        for (var i = 0; i < 20; i++)
        {
            using var ok = await SendAsync(body);
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
            Assert.False(ok.Headers.Contains("x-sib-ratelimit-limit"));
        }

        Assert.Equal(0, _fake.TooManyRequestsCount);
    }

    [Fact]
    public async Task FailNext_injects_documented_failures_then_recovers()
    {
        var body = SendBody(_fake.CreateVisitor().Id, "hi");
        _fake.FailNext(503, 2);
        _fake.FailNext(403);
        _fake.FailNext(500);
        _fake.FailNext(401);

        using (var r = await SendAsync(body))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, r.StatusCode);
        }

        using (var r = await SendAsync(body))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, r.StatusCode);
        }

        using (var r = await SendAsync(body))
        {
            Assert.Equal(HttpStatusCode.Forbidden, r.StatusCode);
            Assert.Equal("permission_denied", (string?)(await ReadObjectAsync(r))["code"]);
        }

        using (var r = await SendAsync(body))
        {
            Assert.Equal(HttpStatusCode.InternalServerError, r.StatusCode);
        }

        using (var r = await SendAsync(body))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode);
            Assert.Equal("unauthorized", (string?)(await ReadObjectAsync(r))["code"]);
        }

        Assert.Empty(_fake.SentMessages);
        using var ok = await SendAsync(body);
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Single(_fake.SentMessages);
    }

    [Fact]
    public async Task Sent_message_is_echoed_to_the_webhook_as_an_agent_fragment()
    {
        var visitor = _fake.CreateVisitor();
        using var response = await SendAsync(SendBody(visitor.Id, "Yes, 2-3 days."));
        var id = (string)(await ReadObjectAsync(response))["id"]!;

        var received = await _listener.WaitForAsync(1, Ct);
        var payload = received[0].Payload;
        Assert.Equal("conversationFragment", (string?)payload["eventName"]);
        Assert.Equal(visitor.ConversationId, (string?)payload["conversationId"]);
        var message = Assert.IsType<JsonObject>(Assert.Single(payload["messages"]!.AsArray()));
        Assert.Equal(id, (string?)message["id"]);
        Assert.Equal("agent", (string?)message["type"]);
        Assert.Equal(OurLabel, (string?)message["receivedFrom"]);
        Assert.Equal("Yes, 2-3 days.", (string?)message["text"]);
        var agent = Assert.Single(payload["agents"]!.AsArray())!;
        Assert.Equal(_fake.AgentId, (string?)agent["id"]);
        Assert.Equal(visitor.Id, (string?)payload["visitor"]!["id"]);
        Assert.Equal("instagram", (string?)payload["visitor"]!["source"]);
        // No signature: Brevo sends none for Conversations webhooks.
        Assert.DoesNotContain(received[0].Headers.Keys, k => k.Contains("signature", StringComparison.OrdinalIgnoreCase));
        Assert.StartsWith("application/json", received[0].Headers["Content-Type"], StringComparison.Ordinal);

        var delivery = await _fake.WaitForWebhookDeliveriesAsync(d => d.IsEcho, Wait, Ct);
        Assert.Equal(200, delivery.StatusCode);

        // Echo can be switched off: the next thing the listener sees is our probe, and no second echo is recorded.
        _fake.EchoEnabled = false;
        _fake.EchoDelay = TimeSpan.Zero;
        using var quiet = await SendAsync(SendBody(visitor.Id, "no echo"));
        Assert.Equal(HttpStatusCode.OK, quiet.StatusCode);
        Assert.Equal(200, await _fake.DeliverAsync(_fake.BuildVisitorTextFragment(visitor, "probe"), cancellationToken: Ct));
        var all = await _listener.WaitForAsync(2, Ct);
        Assert.Equal("probe", (string?)all[1].Payload["messages"]![0]!["text"]);
        Assert.Single(_fake.WebhookDeliveries, d => d.IsEcho);
    }

    [Fact]
    public async Task Attachment_fragment_links_to_a_downloadable_file()
    {
        var visitor = _fake.CreateVisitor();
        var bytes = new byte[] { 0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3, 4, 5 };
        var payload = _fake.BuildVisitorFileFragment(visitor, bytes, "image/jpeg", "IMG 2041.jpg");

        Assert.Equal(200, await _fake.DeliverAsync(payload, cancellationToken: Ct));
        var received = (await _listener.WaitForAsync(1, Ct))[0].Payload;
        var message = received["messages"]![0]!;
        Assert.Equal("visitor", (string?)message["type"]);
        Assert.Equal("IMG 2041.jpg", (string?)message["text"]);
        var file = message["file"]!;
        Assert.Equal("IMG 2041.jpg", (string?)file["name"]);
        Assert.Equal("image/jpeg", (string?)file["mimeType"]);
        Assert.Equal(bytes.Length, (long)file["size"]!);
        Assert.True((bool)file["isImage"]!);
        Assert.NotNull(file["imageInfo"]!["previewLink"]);

        using var download = await _http.GetAsync((string)file["link"]!, Ct);
        Assert.Equal(HttpStatusCode.OK, download.StatusCode);
        Assert.Equal("image/jpeg", download.Content.Headers.ContentType?.MediaType);
        Assert.Equal(bytes, await download.Content.ReadAsByteArrayAsync(Ct));
        Assert.Equal(1, _fake.FileDownloadCount);

        var legacy = _fake.NewVisitorFileMessage(_fake.RegisterFile([1, 2], "application/pdf", "offer.pdf"), legacySpelling: true);
        Assert.NotNull(legacy["file"]!["url"]);
        Assert.NotNull(legacy["file"]!["filename"]);
        Assert.Null(legacy["file"]!["imageInfo"]);
    }

    [Fact]
    public void Builders_produce_the_reference_sample_shapes()
    {
        var visitor = _fake.CreateVisitor("instagram", "Maria K");

        // §5.1
        var fragment = _fake.BuildVisitorTextFragment(visitor, "Hi! Do you ship to Lyon?");
        var doc = Roundtrip(fragment);
        Assert.Equal("conversationFragment", doc.GetProperty("eventName").GetString());
        Assert.Equal(17, doc.GetProperty("conversationId").GetString()!.Length);
        var msg = doc.GetProperty("messages")[0];
        Assert.Equal("visitor", msg.GetProperty("type").GetString());
        Assert.Equal("Hi! Do you ship to Lyon?", msg.GetProperty("text").GetString());
        Assert.Equal(JsonValueKind.Number, msg.GetProperty("createdAt").ValueKind);
        Assert.True(msg.GetProperty("createdAt").GetInt64() > 1_600_000_000_000); // milliseconds
        Assert.Equal(17, msg.GetProperty("id").GetString()!.Length);
        Assert.Equal(0, doc.GetProperty("agents").GetArrayLength());
        var v = doc.GetProperty("visitor");
        Assert.Equal(visitor.Id, v.GetProperty("id").GetString());
        Assert.Equal(32, visitor.Id.Length);
        Assert.Equal("instagram", v.GetProperty("source").GetString());
        Assert.Equal("Maria K", v.GetProperty("displayedName").GetString());
        foreach (var key in new[] { "threadId", "threadLink", "sourceChannelRef", "sourceConversationRef", "contactAttributes", "integrationAttributes" })
        {
            Assert.True(v.TryGetProperty(key, out _), key);
        }

        // Other channels.
        Assert.Equal("whatsapp", Roundtrip(_fake.BuildVisitorTextFragment(_fake.CreateVisitor("whatsapp"), "x"))
            .GetProperty("visitor").GetProperty("source").GetString());

        // §5.3 human operator: agent message without receivedFrom, agents[] filled.
        var human = Roundtrip(_fake.BuildHumanAgentFragment(visitor, "I'll take it from here"));
        var humanMsg = human.GetProperty("messages")[0];
        Assert.Equal("agent", humanMsg.GetProperty("type").GetString());
        Assert.Equal(_fake.HumanAgent.Id, humanMsg.GetProperty("agentId").GetString());
        Assert.False(humanMsg.TryGetProperty("receivedFrom", out _));
        Assert.Equal(_fake.HumanAgent.Id, human.GetProperty("agents")[0].GetProperty("id").GetString());

        // §5.4
        var first = _fake.NewVisitorTextMessage("Hello");
        var started = Roundtrip(_fake.BuildConversationStarted(visitor, first));
        Assert.Equal("conversationStarted", started.GetProperty("eventName").GetString());
        Assert.Equal((string?)first["id"], started.GetProperty("message").GetProperty("id").GetString());
        Assert.False(started.TryGetProperty("agent", out _));
        Assert.True(started.GetProperty("isNoAvailableAgent").GetBoolean());

        // Mixed fragment keeps the given order.
        var late = _fake.NewVisitorTextMessage("second", createdAt: 2_000);
        var early = _fake.NewAgentMessage("first", createdAt: 1_000);
        var mixed = Roundtrip(_fake.BuildFragment(visitor, late, early));
        Assert.Equal("second", mixed.GetProperty("messages")[0].GetProperty("text").GetString());
        Assert.Equal(1, mixed.GetProperty("agents").GetArrayLength());
    }

    [Fact]
    public async Task Transcript_repeats_delivered_and_sent_messages_in_time_order()
    {
        var visitor = _fake.CreateVisitor();
        var question = _fake.NewVisitorTextMessage("Do you ship to Lyon?");
        Assert.Equal(200, await _fake.DeliverAsync(_fake.BuildConversationStarted(visitor, question), cancellationToken: Ct));
        Assert.Equal(200, await _fake.DeliverAsync(_fake.BuildFragment(visitor, question), cancellationToken: Ct));
        using var reply = await SendAsync(SendBody(visitor.Id, "Yes."));
        var replyId = (string)(await ReadObjectAsync(reply))["id"]!;

        var transcript = Roundtrip(_fake.BuildTranscript(visitor));
        Assert.Equal("conversationTranscript", transcript.GetProperty("eventName").GetString());
        var messages = transcript.GetProperty("messages");
        Assert.Equal(2, messages.GetArrayLength());
        Assert.Equal((string?)question["id"], messages[0].GetProperty("id").GetString());
        Assert.Equal(replyId, messages[1].GetProperty("id").GetString());
        Assert.Equal(OurLabel, messages[1].GetProperty("receivedFrom").GetString());
        Assert.Equal(0, transcript.GetProperty("missedMessagesCount").GetInt32());
        Assert.False(transcript.GetProperty("visitor").GetProperty("isBanned").GetBoolean());
        Assert.Equal(_fake.AgentId, transcript.GetProperty("agents")[0].GetProperty("id").GetString());
    }

    [Fact]
    public async Task Delivery_reports_receiver_status_and_supports_redelivery()
    {
        var visitor = _fake.CreateVisitor();
        var payload = _fake.BuildVisitorTextFragment(visitor, "hi");

        Assert.Equal(200, await _fake.DeliverAsync(payload, cancellationToken: Ct));
        Assert.Equal(200, await _fake.DeliverAsync(payload, cancellationToken: Ct));
        var received = await _listener.WaitForAsync(2, Ct);
        Assert.Equal(received[0].Body, received[1].Body);

        var wrongSecret = _listener.WebhookUrl.Replace("s3cr3t-token", "guess", StringComparison.Ordinal);
        Assert.Equal(401, await _fake.DeliverAsync(payload, wrongSecret, Ct));

        _fake.RedeliverOnFailure = true;
        _fake.MaxRedeliveries = 2;
        _fake.RedeliveryDelay = TimeSpan.FromMilliseconds(10);
        Assert.Equal(401, await _fake.DeliverAsync(payload, wrongSecret, Ct));
        var deliveries = await _fake.WaitForWebhookDeliveriesAsync(6, Wait, Ct);
        Assert.Equal([1, 1, 1, 1, 2, 3], deliveries.Select(d => d.Attempt));

        Assert.Equal(200, await _fake.RedeliverAsync(deliveries[0], Ct));
        Assert.Equal(3, (await _listener.WaitForAsync(3, Ct)).Count);

        await Assert.ThrowsAsync<HttpRequestException>(() =>
            _fake.DeliverAsync(payload, "http://127.0.0.1:1/webhooks/brevo/x", Ct));
    }

    [Fact]
    public async Task Message_crud_pushed_messages_and_online_ping()
    {
        var visitor = _fake.CreateVisitor();
        using var sent = await SendAsync(SendBody(visitor.Id, "old"));
        var id = (string)(await ReadObjectAsync(sent))["id"]!;

        using var edit = await ApiAsync(HttpMethod.Put, $"/conversations/messages/{id}", "{\"text\":\"new & improved\"}");
        Assert.Equal(HttpStatusCode.OK, edit.StatusCode);
        var edited = await ReadObjectAsync(edit);
        Assert.Equal("new & improved", (string?)edited["text"]);
        Assert.Equal("new &amp; improved", (string?)edited["html"]);

        using var delete = await ApiAsync(HttpMethod.Delete, $"/conversations/messages/{id}");
        Assert.Equal(HttpStatusCode.NoContent, delete.StatusCode);
        using var gone = await ApiAsync(HttpMethod.Get, $"/conversations/messages/{id}");
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        Assert.Equal("document_not_found", (string?)(await ReadObjectAsync(gone))["code"]);

        var visitorMessage = _fake.NewVisitorTextMessage("from the customer");
        await _fake.DeliverAsync(_fake.BuildFragment(visitor, visitorMessage), cancellationToken: Ct);
        using var editVisitor = await ApiAsync(HttpMethod.Put, $"/conversations/messages/{visitorMessage["id"]}", "{\"text\":\"x\"}");
        Assert.Equal(HttpStatusCode.BadRequest, editVisitor.StatusCode);
        using var deleteVisitor = await ApiAsync(HttpMethod.Delete, $"/conversations/messages/{visitorMessage["id"]}");
        Assert.Equal(HttpStatusCode.BadRequest, deleteVisitor.StatusCode);

        using var pushed = await ApiAsync(HttpMethod.Post, "/conversations/pushedMessages",
            new JsonObject { ["visitorId"] = visitor.Id, ["text"] = "Your order shipped" }.ToJsonString());
        Assert.Equal(HttpStatusCode.OK, pushed.StatusCode);
        Assert.True((bool)(await ReadObjectAsync(pushed))["isPushed"]!);

        using var ping = await ApiAsync(HttpMethod.Post, "/conversations/agentOnlinePing",
            new JsonObject { ["agentId"] = _fake.AgentId }.ToJsonString());
        Assert.Equal(HttpStatusCode.Created, ping.StatusCode);
        Assert.Empty(await ping.Content.ReadAsByteArrayAsync(Ct));
    }

    [Fact]
    public async Task Concurrent_sends_are_all_recorded_in_per_visitor_order()
    {
        _fake.EchoEnabled = false;
        var a = _fake.CreateVisitor();
        var b = _fake.CreateVisitor("facebook", "Jon");

        var waitForB3 = _fake.WaitForSentAsync(m => m.VisitorId == b.Id && m.Text == "b3", Wait, Ct);
        Assert.False(waitForB3.IsCompleted);

        var sendsToA = Task.Run(async () =>
        {
            for (var i = 0; i < 10; i++)
            {
                using var r = await SendAsync(SendBody(a.Id, $"a{i}"));
                Assert.Equal(HttpStatusCode.OK, r.StatusCode);
            }
        }, Ct);
        var sendsToB = Task.WhenAll(Enumerable.Range(0, 20).Select(async i =>
        {
            using var r = await SendAsync(SendBody(b.Id, $"b{i}"));
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        }));

        Assert.Equal("b3", (await waitForB3).Text);
        await Task.WhenAll(sendsToA, sendsToB);
        var all = await _fake.WaitForSentAsync(30, Wait, Ct);
        Assert.Equal(30, all.Count);
        Assert.Equal(Enumerable.Range(0, 10).Select(i => $"a{i}"), _fake.SentTo(a.Id).Select(m => m.Text));
        Assert.Equal(20, _fake.SentTo(b.Id).Select(m => m.Id).Distinct().Count());

        await Assert.ThrowsAsync<TimeoutException>(() =>
            _fake.WaitForSentAsync(31, TimeSpan.FromMilliseconds(100), Ct));
    }

    private JsonObject SendBody(string visitorId, string text, string? agentId = null) => new()
    {
        ["visitorId"] = visitorId,
        ["text"] = text,
        ["agentId"] = agentId ?? _fake.AgentId,
        ["receivedFrom"] = OurLabel,
    };

    private Task<HttpResponseMessage> SendAsync(JsonObject body, string? apiKey = FakeBrevoServer.DefaultApiKey) =>
        ApiAsync(HttpMethod.Post, "/conversations/messages", body.ToJsonString(), apiKey);

    private async Task<HttpResponseMessage> ApiAsync(
        HttpMethod method, string path, string? json = null, string? apiKey = FakeBrevoServer.DefaultApiKey)
    {
        using var request = new HttpRequestMessage(method, _fake.ApiBaseUrl + path);
        if (apiKey is not null)
        {
            request.Headers.Add("api-key", apiKey);
        }

        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        if (json is not null)
        {
            request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        }

        return await _http.SendAsync(request, Ct);
    }

    private static async Task<JsonObject> ReadObjectAsync(HttpResponseMessage response) =>
        Assert.IsType<JsonObject>(JsonNode.Parse(await response.Content.ReadAsStringAsync(Ct)));

    private static string Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? string.Join(",", values) : throw new Xunit.Sdk.XunitException($"header {name} missing");

    private static JsonElement Roundtrip(JsonObject payload) =>
        JsonDocument.Parse(payload.ToJsonString()).RootElement.Clone();

    /// <summary>Minimal stand-in for the service's <c>POST /webhooks/brevo/{secret}</c> endpoint.</summary>
    private sealed class WebhookListener : IAsyncDisposable
    {
        private readonly WebApplication _app;
        private readonly ConcurrentQueue<ReceivedWebhook> _received = new();
        private readonly SemaphoreSlim _arrivals = new(0);

        private WebhookListener(WebApplication app, string secret)
        {
            _app = app;
            app.MapPost("/webhooks/brevo/{token}", async (HttpContext context, string token) =>
            {
                if (token != secret)
                {
                    return Results.Unauthorized();
                }

                using var reader = new StreamReader(context.Request.Body);
                var body = await reader.ReadToEndAsync(context.RequestAborted);
                _received.Enqueue(new ReceivedWebhook(body,
                    context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase)));
                _arrivals.Release();
                return Results.Ok();
            });
        }

        public string WebhookUrl { get; private set; } = "";

        public static async Task<WebhookListener> StartAsync(string secret)
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
            var listener = new WebhookListener(builder.Build(), secret);
            await listener._app.StartAsync(Ct);
            var address = listener._app.Services.GetRequiredService<IServer>().Features
                .Get<IServerAddressesFeature>()!.Addresses.First();
            listener.WebhookUrl = $"{address.TrimEnd('/')}/webhooks/brevo/{secret}";
            return listener;
        }

        public async Task<IReadOnlyList<ReceivedWebhook>> WaitForAsync(int count, CancellationToken ct)
        {
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
            cts.CancelAfter(Wait);
            while (_received.Count < count)
            {
                await _arrivals.WaitAsync(cts.Token);
            }

            return [.. _received];
        }

        public async ValueTask DisposeAsync()
        {
            await _app.StopAsync(CancellationToken.None);
            await _app.DisposeAsync();
            _arrivals.Dispose();
        }
    }

    private sealed record ReceivedWebhook(string Body, IReadOnlyDictionary<string, string> Headers)
    {
        public JsonObject Payload => (JsonObject)JsonNode.Parse(Body)!;
    }
}
