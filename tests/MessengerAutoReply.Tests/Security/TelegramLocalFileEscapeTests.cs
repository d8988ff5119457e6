using System.Net;
using System.Text;
using MessengerAutoReply.Hosting;
using MessengerAutoReply.Media;
using MessengerAutoReply.Telegram;
using MessengerAutoReply.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Telegram.Bot;

namespace MessengerAutoReply.Tests.Security;

/// <summary>
/// Attacks the Telegram media fetcher with a Bot API answer naming a file on our disk: /etc/passwd, a path that
/// climbs out with "..", a symbolic link planted inside the folder. Only regular files under
/// TELEGRAM_LOCAL_FILES_DIR, after resolving links, are read.
/// </summary>
public sealed class TelegramLocalFileEscapeTests : IDisposable
{
    private readonly TempDir _root = new();
    private readonly CancellationToken _ct = TestContext.Current.CancellationToken;

    private string Local => Path.Combine(_root.Path, "bot-api");

    public TelegramLocalFileEscapeTests()
    {
        Directory.CreateDirectory(Path.Combine(Local, "voice"));
        File.WriteAllText(Path.Combine(Local, "voice", "file_1.oga"), "OggS-voice");
        File.WriteAllText(Path.Combine(_root.Path, "secret.txt"), "outside");
    }

    public void Dispose() => _root.Dispose();

    [Fact]
    public async Task A_file_under_the_local_folder_is_read()
    {
        var result = await FetchAsync(Path.Combine(Local, "voice", "file_1.oga"), Local);
        Assert.Equal("OggS-voice", Encoding.UTF8.GetString(result.Content!.Bytes.Span));
    }

    [Theory]
    [InlineData("/etc/passwd")]
    [InlineData("{local}/../secret.txt")]
    [InlineData("{local}/voice/../../secret.txt")]
    [InlineData("{local}/link-out")]
    [InlineData("{local}/dir-link/secret.txt")]
    public async Task A_path_outside_the_folder_is_not_read_and_the_message_says_why(string path)
    {
        File.CreateSymbolicLink(Path.Combine(Local, "link-out"), Path.Combine(_root.Path, "secret.txt"));
        Directory.CreateSymbolicLink(Path.Combine(Local, "dir-link"), _root.Path);
        var result = await FetchAsync(path.Replace("{local}", Local, StringComparison.Ordinal), Local);
        Assert.Null(result.Content);
        Assert.Contains("TELEGRAM_LOCAL_FILES_DIR", result.Unavailable, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_TELEGRAM_LOCAL_FILES_DIR_no_absolute_path_is_read()
    {
        var result = await FetchAsync(Path.Combine(Local, "voice", "file_1.oga"), localDir: null);
        Assert.Null(result.Content);
        Assert.Contains("TELEGRAM_LOCAL_FILES_DIR is not set", result.Unavailable, StringComparison.Ordinal);
    }

    private async Task<MediaFetchResult> FetchAsync(string filePath, string? localDir)
    {
        var settings = new Dictionary<string, string?>
        {
            ["DATA_DIR"] = _root.Path,
            ["TELEGRAM_TOKEN"] = "123456:test-token",
            ["TELEGRAM_LOCAL_FILES_DIR"] = localDir,
        };
        var options = ServiceSettings.Load(new ConfigurationBuilder().AddInMemoryCollection(settings).Build()).Telegram!;
        var http = new HttpClient(new GetFileAnswers(filePath));
        var services = new ServiceCollection()
            .AddSingleton<ITelegramBotClient>(new TelegramBotClient(new TelegramBotClientOptions(options.Token, "http://127.0.0.1:9"), http))
            .BuildServiceProvider();
        using var downloads = TestMediaDownloads.In(Path.Combine(_root.Path, "data"));
        var fetcher = new TelegramMediaFetcher(new TelegramClients(services), options, downloads, NullLogger<TelegramMediaFetcher>.Instance);
        return await fetcher.FetchAsync(new MediaRef { Platform = "telegram", PlatformFileId = "file-1", UniqueId = "u1", MimeType = "audio/ogg" }, _ct);
    }

    /// <summary>A local Bot API server's getFile answer naming <c>filePath</c>; nothing leaves the process.</summary>
    private sealed class GetFileAnswers(string filePath) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var body = System.Text.Json.JsonSerializer.Serialize(new { ok = true, result = new { file_id = "file-1", file_unique_id = "u1", file_size = 10, file_path = filePath } });
            return Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent(body, Encoding.UTF8, "application/json") });
        }
    }
}
