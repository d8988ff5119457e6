using System.Net;
using System.Text;
using MessengerAutoReply.Chats;
using MessengerAutoReply.Media;
using MessengerAutoReply.Tests.Admin;
using MessengerAutoReply.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace MessengerAutoReply.Tests.Security;

/// <summary>
/// Attacks the media route with customer files that would run script on our origin if shown inline: an SVG, HTML
/// declared as an image, a PNG-named HTML page. Only formats that are safe to render, confirmed by their bytes, are
/// inline; every answer carries CSP sandbox and nosniff; the console page has a strict CSP.
/// </summary>
public sealed class StoredScriptThroughMediaTests(StoredScriptThroughMediaTests.Service fixture) : IClassFixture<StoredScriptThroughMediaTests.Service>
{
    private readonly CancellationToken _ct = TestContext.Current.CancellationToken;

    private static readonly byte[] Svg = Encoding.UTF8.GetBytes("<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(document.cookie)</script></svg>");
    private static readonly byte[] Html = Encoding.UTF8.GetBytes("<!doctype html><script>fetch('/api/chats')</script>");

    public static TheoryData<string, string, string> Hostile => new()
    {
        { "image/svg+xml", "logo.svg", "svg" },
        { "text/html", "invoice.html", "html" },
        { "image/png", "photo.png", "html" },
        { "image/jpeg", "cat.jpg", "svg" },
        { "video/mp4", "clip.mp4", "html" },
        { "application/xhtml+xml", "page.xhtml", "html" },
    };

    [Theory]
    [MemberData(nameof(Hostile))]
    public async Task A_scriptable_file_is_served_as_an_attachment_in_a_sandbox(string declared, string fileName, string body)
    {
        var id = await StoreAsync(declared, fileName, body == "svg" ? Svg : Html);
        using var response = await fixture.Api.Client.GetAsync($"/api/media/{id}", _ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("attachment", response.Content.Headers.ContentDisposition?.DispositionType);
        Assert.Equal(fileName, response.Content.Headers.ContentDisposition?.FileNameStar ?? response.Content.Headers.ContentDisposition?.FileName?.Trim('"'));
        Assert.Equal("application/octet-stream", response.Content.Headers.ContentType?.MediaType);
        AssertSandboxed(response);
        Assert.Equal(body == "svg" ? Svg : Html, await response.Content.ReadAsByteArrayAsync(_ct));
    }

    [Fact]
    public async Task Real_images_audio_and_video_stay_inline_with_their_type()
    {
        (string Type, byte[] Bytes)[] safe =
        [
            ("image/png", TestMedia.Png(8, 8)),
            ("image/jpeg", [0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, (byte)'J', (byte)'F', (byte)'I', (byte)'F', 0, 1]),
            ("image/gif", Encoding.ASCII.GetBytes("GIF89a\x01\x00\x01\x00\x00\x00\x00;")),
            ("image/webp", Encoding.ASCII.GetBytes("RIFF\x1a\x00\x00\x00WEBPVP8 ")),
            ("audio/ogg", TestMedia.OggOpus(0.5)),
            ("audio/mpeg", Encoding.ASCII.GetBytes("ID3\x04\x00\x00\x00\x00\x00\x00")),
            ("video/mp4", [0, 0, 0, 0x18, (byte)'f', (byte)'t', (byte)'y', (byte)'p', (byte)'m', (byte)'p', (byte)'4', (byte)'2']),
        ];
        foreach (var (type, bytes) in safe)
        {
            var id = await StoreAsync(type, "file", bytes);
            using var response = await fixture.Api.Client.GetAsync($"/api/media/{id}", _ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(type, response.Content.Headers.ContentType?.MediaType);
            Assert.NotEqual("attachment", response.Content.Headers.ContentDisposition?.DispositionType);
            AssertSandboxed(response);
            Assert.Equal(bytes, await response.Content.ReadAsByteArrayAsync(_ct));
        }
    }

    [Fact]
    public async Task A_file_name_cannot_smuggle_a_path_or_header()
    {
        var id = await StoreAsync("text/html", "../../etc/evil\r\nSet-Cookie: x=1.html", Html);
        using var response = await fixture.Api.Client.GetAsync($"/api/media/{id}", _ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.False(response.Headers.Contains("Set-Cookie"));
        var name = response.Content.Headers.ContentDisposition?.FileNameStar ?? response.Content.Headers.ContentDisposition?.FileName;
        Assert.DoesNotContain("/", name, StringComparison.Ordinal);
        Assert.DoesNotContain("\n", name, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_console_page_has_a_strict_content_security_policy()
    {
        using var anonymous = fixture.Api.CreateClient(apiKey: null);
        using var page = await anonymous.GetAsync("/", _ct);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        var policy = string.Join(";", page.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("default-src 'none'", policy, StringComparison.Ordinal);
        Assert.Contains("script-src 'self'", policy, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe-inline", policy, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe-eval", policy, StringComparison.Ordinal);
        Assert.Contains("frame-ancestors 'none'", policy, StringComparison.Ordinal);
    }

    private static void AssertSandboxed(HttpResponseMessage response)
    {
        Assert.Equal("sandbox", string.Join(",", response.Headers.GetValues("Content-Security-Policy")));
        Assert.Equal("nosniff", string.Join(",", response.Headers.GetValues("X-Content-Type-Options")));
    }

    private async Task<string> StoreAsync(string mimeType, string fileName, byte[] bytes)
    {
        var id = ChatIds.ForMedia(Platforms.Telegram, Guid.NewGuid().ToString("N"));
        await fixture.Api.App.Services.GetRequiredService<IMediaStore>().SaveAsync(id, new MediaContent(Platforms.Telegram, fileName, mimeType, bytes), _ct);
        return id;
    }

    public sealed class Service : IAsyncLifetime
    {
        private readonly TempDir _data = new();

        public TestService Api { get; private set; } = null!;

        public async ValueTask InitializeAsync() => Api = await TestService.StartAsync(_data.Path);

        public async ValueTask DisposeAsync()
        {
            await Api.DisposeAsync();
            _data.Dispose();
        }
    }
}
