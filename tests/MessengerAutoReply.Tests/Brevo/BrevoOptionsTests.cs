using System.Text.Json;
using MessengerAutoReply.Brevo;
using MessengerAutoReply.Chats;
using MessengerAutoReply.Hosting;
using Microsoft.Extensions.Configuration;

namespace MessengerAutoReply.Tests.Brevo;

public sealed class BrevoOptionsTests
{
    private static BrevoOptions Load(params (string Key, string Value)[] values)
    {
        var read = new SettingsReader(new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => KeyValuePair.Create(v.Key, (string?)v.Value))).Build());
        var options = BrevoOptions.Load(read, TimeSpan.FromSeconds(60));
        return read.Errors.Count > 0 ? throw new InvalidSettingsException(read.Errors) : options;
    }

    [Fact]
    public void Without_a_key_Brevo_is_off_and_the_defaults_hold()
    {
        var options = Load();
        Assert.False(options.Configured);
        Assert.Equal("https://api.brevo.com/v3/", options.ApiUrl.ToString());
        Assert.Equal("messenger-autoreply", options.ReceivedFrom);
    }

    [Fact]
    public void A_key_without_an_agent_id_is_one_line_naming_BREVO_AGENT_ID()
    {
        var ex = Assert.Throws<InvalidSettingsException>(() => Load(("BREVO_API_KEY", "xkeysib-secret-value")));
        var line = Assert.Single(ex.Errors);
        Assert.StartsWith("BREVO_AGENT_ID:", line, StringComparison.Ordinal);
        Assert.DoesNotContain("xkeysib-secret-value", line, StringComparison.Ordinal);
    }

    [Fact]
    public void A_weak_webhook_secret_is_refused_without_echoing_it()
    {
        var ex = Assert.Throws<InvalidSettingsException>(() => Load(("BREVO_WEBHOOK_SECRET", "short/secret")));
        Assert.StartsWith("BREVO_WEBHOOK_SECRET:", Assert.Single(ex.Errors), StringComparison.Ordinal);
        Assert.DoesNotContain("short/secret", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Legacy_file_spellings_and_out_of_order_fragments_normalize_alike()
    {
        const string json = """
            {"eventName":"conversationFragment","visitor":{"id":"v1","source":"Instagram_DM","displayedName":"Maria"},
             "agents":[{"id":"a1","name":"Claire"}],
             "messages":[
               {"id":"m2","type":"agent","text":"Hello Maria","createdAt":2000,"agentId":"a1"},
               {"id":"m1","type":"visitor","text":"voice.m4a","createdAt":1000,"file":{"filename":"voice.m4a","url":"https://cdn.example/f/voice.m4a","mimeType":"audio/mp4"}}]}
            """;
        using var doc = JsonDocument.Parse(json);
        var messages = BrevoNormalizer.Normalize(BrevoWebhookParser.Parse(doc.RootElement), "messenger-autoreply");

        Assert.Equal(["m1", "m2"], messages.Select(m => m.PlatformMessageId));
        Assert.All(messages, m => Assert.Equal((Sources.Instagram, Platforms.Brevo, "v1"), (m.Chat.Source, m.Chat.Platform, m.Chat.PlatformChatId)));
        Assert.Equal((MessageTypes.Voice, "voice.m4a", "https://cdn.example/f/voice.m4a"), (messages[0].Type, messages[0].FileName, messages[0].Media!.PlatformFileId));
        Assert.Null(messages[0].Content);
        Assert.Equal((true, false, false, "Claire"), (messages[1].FromAgent, messages[1].IsOwnEcho, messages[1].Automated, messages[1].SenderName));
    }
}
