using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using MessengerAutoReply.Tests.Infrastructure;

namespace MessengerAutoReply.Tests.Operators;

/// <summary>A browser-like client: its own cookie jar, JSON, and X-Requested-With on every request, as the console sends.</summary>
internal sealed class OperatorSession : IDisposable
{
    private readonly HttpClientHandler _handler = new() { CookieContainer = new CookieContainer(), UseCookies = true };

    public OperatorSession(TestService service, bool requestedWith = true)
    {
        Http = new HttpClient(_handler) { BaseAddress = service.BaseUri, Timeout = TimeSpan.FromSeconds(30) };
        Http.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        if (requestedWith)
        {
            Http.DefaultRequestHeaders.Add("X-Requested-With", "fetch");
        }
    }

    public HttpClient Http { get; }

    public CookieContainer Cookies => _handler.CookieContainer;

    public static async Task<OperatorSession> SignInAsync(TestService service, string email, string password)
    {
        var session = new OperatorSession(service);
        using var response = await session.LoginAsync(email, password);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return session;
    }

    public Task<HttpResponseMessage> LoginAsync(string email, string password) =>
        Http.PostAsJsonAsync("/api/auth/login", new { email, password }, TestContext.Current.CancellationToken);

    public static async Task<JsonElement> JsonAsync(HttpResponseMessage response, HttpStatusCode expected)
    {
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(response.StatusCode == expected, $"expected {(int)expected}, got {(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    public void Dispose()
    {
        Http.Dispose();
        _handler.Dispose();
    }
}
