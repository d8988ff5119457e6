using System.Collections.Concurrent;
using MessengerAutoReply.Chats;
using MessengerAutoReply.Media;
using MessengerAutoReply.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace MessengerAutoReply.Tests.Admin;

/// <summary>The operator console in one browser page: what a test clicks and reads, by data-testid.</summary>
public sealed class ConsolePage
{
    private ConsolePage(IPage page)
    {
        Page = page;
        // An uncaught exception in the page is a bug even when the test's checks pass.
        page.PageError += (_, error) => Errors.Enqueue(error);
    }

    public IPage Page { get; }

    public ConcurrentQueue<string> Errors { get; } = new();

    public ILocator LoginKey => Page.GetByTestId("login-key");
    public ILocator LoginSubmit => Page.GetByTestId("login-submit");
    public ILocator LoginError => Page.GetByTestId("login-error");
    public ILocator ChatList => Page.GetByTestId("chat-list");
    public ILocator Connection => Page.GetByTestId("connection-state");
    public ILocator ChatTitle => Page.GetByTestId("chat-title");
    public ILocator AutoMode => Page.GetByTestId("automode-toggle");
    public ILocator ReplyInput => Page.GetByTestId("reply-input");
    public ILocator Messages => Page.GetByTestId("message");

    public ILocator ChatItem(string chatId) => Page.Locator($"[data-testid=chat-item][data-chat-id='{chatId}']");

    public ILocator Message(string messageId) => Page.Locator($"[data-testid=message][data-message-id='{messageId}']");

    public static async Task<ConsolePage> OpenAsync(IBrowserContext context, Uri baseUri)
    {
        var console = new ConsolePage(await context.NewPageAsync());
        await console.Page.GotoAsync(baseUri.ToString());
        return console;
    }

    /// <summary>Signs in through the form and waits for the live stream to be connected.</summary>
    public async Task LoginAsync(string apiKey = TestService.ApiKey)
    {
        await LoginKey.FillAsync(apiKey);
        await LoginSubmit.ClickAsync();
        await Expect(Connection).ToHaveAttributeAsync("data-state", "connected");
    }

    public async Task OpenChatAsync(string chatId)
    {
        await ChatItem(chatId).ClickAsync();
        await Expect(ChatItem(chatId)).ToHaveAttributeAsync("aria-current", "true");
    }

    public void AssertNoPageErrors() => Assert.True(Errors.IsEmpty, "Uncaught errors in the page: " + string.Join(" | ", Errors));

    /// <summary>Saves the page as <c>screenshots/{name}</c> under the test output folder.</summary>
    public async Task ScreenshotAsync(string name)
    {
        Directory.CreateDirectory(ScreenshotFolder);
        // Web fonts would not exist offline anyway, but the system's must be loaded before the picture.
        await Page.EvaluateAsync("() => document.fonts.ready");
        await Page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ScreenshotFolder, name) });
    }

    public static string ScreenshotFolder { get; } = Path.Combine(AppContext.BaseDirectory, "screenshots");
}

/// <summary>Puts customer messages (text, voice notes, photos) into a running service, as an ingress would.</summary>
public sealed class ChatSeeder(TestService service)
{
    private static long _sequence;

    public static ChatAddress Telegram(string name) => new()
    {
        Source = Sources.Telegram,
        Platform = Platforms.Telegram,
        PlatformChatId = Random.Shared.NextInt64(100_000_000, 9_999_999_999).ToString(),
        Name = name,
    };

    public static ChatAddress Instagram(string name) => new()
    {
        Source = Sources.Instagram,
        Platform = Platforms.Brevo,
        PlatformChatId = Guid.NewGuid().ToString("N")[..20],
        Name = name,
    };

    public Task<ChatMessage> TextAsync(ChatAddress chat, string text, DateTimeOffset? at = null) =>
        ReceiveAsync(new InboundMessage
        {
            Chat = chat,
            PlatformMessageId = NextId(),
            Content = text,
            SenderId = chat.PlatformChatId,
            SenderName = chat.Name,
            Timestamp = at ?? DateTimeOffset.UtcNow,
        });

    /// <summary>A voice note (Ogg Opus) with its transcript as the content, as the transcription step stores it.</summary>
    public async Task<ChatMessage> VoiceAsync(ChatAddress chat, string transcript, DateTimeOffset? at = null)
    {
        var mediaId = await StoreAsync(chat, "voice.ogg", "audio/ogg", TestMedia.OggOpus());
        return await ReceiveAsync(new InboundMessage
        {
            Chat = chat,
            PlatformMessageId = NextId(),
            Type = MessageTypes.Voice,
            Content = transcript,
            MediaFileId = mediaId,
            FileName = "voice.ogg",
            MimeType = "audio/ogg",
            SenderId = chat.PlatformChatId,
            SenderName = chat.Name,
            Timestamp = at ?? DateTimeOffset.UtcNow,
        });
    }

    /// <summary>A photo (PNG) with its description as the content, as the vision step stores it.</summary>
    public async Task<ChatMessage> ImageAsync(ChatAddress chat, string description, DateTimeOffset? at = null)
    {
        var mediaId = await StoreAsync(chat, "photo.png", "image/png", TestMedia.Png());
        return await ReceiveAsync(new InboundMessage
        {
            Chat = chat,
            PlatformMessageId = NextId(),
            Type = MessageTypes.Image,
            Content = description,
            MediaFileId = mediaId,
            FileName = "photo.png",
            MimeType = "image/png",
            SenderId = chat.PlatformChatId,
            SenderName = chat.Name,
            Timestamp = at ?? DateTimeOffset.UtcNow,
        });
    }

    /// <summary>A reply stored as the AI or an operator would send it (delivered through the service's gateway).</summary>
    public async Task<ChatMessage> ReplyAsync(ChatAddress chat, string text, string responseMode = ResponseModes.Ai)
    {
        var result = await service.Grains.GetGrain<IChatGrain>(chat.ChatId).SendAsync(new OutboundRequest
        {
            Chat = chat,
            Text = text,
            ResponseMode = responseMode,
            DeliveryKey = NextId(),
        });
        Assert.Equal(SendOutcome.Accepted, result.Outcome);
        return result.Messages[^1];
    }

    private async Task<ChatMessage> ReceiveAsync(InboundMessage message)
    {
        var result = await service.Grains.GetGrain<IChatGrain>(message.Chat.ChatId).ReceiveAsync(message);
        Assert.Equal(ReceiveOutcome.Accepted, result.Outcome);
        return result.Message!;
    }

    private async Task<string> StoreAsync(ChatAddress chat, string fileName, string mimeType, byte[] bytes)
    {
        var mediaId = ChatIds.ForMedia(chat.Platform, $"file-{NextId()}");
        await service.App.Services.GetRequiredService<IMediaStore>()
            .SaveAsync(mediaId, new MediaContent(chat.Platform, fileName, mimeType, bytes), TestContext.Current.CancellationToken);
        return mediaId;
    }

    private static string NextId() => $"{Interlocked.Increment(ref _sequence)}-{Guid.NewGuid():N}"[..24];
}
