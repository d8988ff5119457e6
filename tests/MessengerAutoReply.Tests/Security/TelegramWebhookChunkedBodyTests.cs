using System.Net;
using System.Text;
using MessengerAutoReply.Tests.Telegram;

namespace MessengerAutoReply.Tests.Security;

/// <summary>
/// Attacks the Telegram webhook with a body sent chunked (no Content-Length) far above the 1 MiB cap: it is cut off
/// at the cap with 413 instead of being read whole.
/// </summary>
public sealed class TelegramWebhookChunkedBodyTests(TelegramWebhookFixture fixture) : IClassFixture<TelegramWebhookFixture>
{
    [Fact]
    public async Task A_chunked_body_over_the_cap_is_refused_with_413()
    {
        // Raw HTTP: HttpClient reports the server closing mid-upload as a write error and hides the answer.
        var ct = TestContext.Current.CancellationToken;
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync("127.0.0.1", fixture.Service.BaseUri.Port, ct);
        var stream = tcp.GetStream();
        var head = $"POST /webhooks/telegram HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nX-Telegram-Bot-Api-Secret-Token: {fixture.Secret}\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head), ct);
        // The JSON opens once and then goes on with white space (still a valid prefix), so nothing but the size
        // cap can stop the reader: a JSON error would answer 400 before the cap.
        var first = Encoding.ASCII.GetBytes($"{64 * 1024:x}\r\n" + "{\"update_id\": 1" + new string(' ', 64 * 1024 - 15) + "\r\n");
        var chunk = Encoding.ASCII.GetBytes($"{64 * 1024:x}\r\n" + new string(' ', 64 * 1024) + "\r\n");
        try
        {
            await stream.WriteAsync(first, ct);
            for (var i = 1; i < 8 * 16; i++)
            {
                await stream.WriteAsync(chunk, ct);
            }
        }
        catch (IOException)
        {
            // The server stopped reading at the cap and closed: expected.
        }
        using var reader = new StreamReader(stream, Encoding.ASCII);
        var status = await reader.ReadLineAsync(ct);
        Assert.StartsWith("HTTP/1.1 413", status, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_small_chunked_update_is_still_accepted()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/webhooks/telegram") { Content = new ChunkedJson(0) };
        request.Headers.Add("X-Telegram-Bot-Api-Secret-Token", fixture.Secret);
        using var client = fixture.Service.CreateClient(apiKey: null);
        using var response = await client.SendAsync(request, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    /// <summary>An Update JSON padded with <c>padding</c> spaces, streamed without a length (so chunked).</summary>
    private sealed class ChunkedJson(int padding) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            await stream.WriteAsync("{\"update_id\": 1"u8.ToArray());
            var spaces = Encoding.ASCII.GetBytes(new string(' ', 64 * 1024));
            for (var sent = 0; sent < padding; sent += spaces.Length)
            {
                await stream.WriteAsync(spaces);
            }
            await stream.WriteAsync("}"u8.ToArray());
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}
