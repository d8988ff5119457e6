using System.Net;
using System.Net.Http.Json;
using MessengerAutoReply.Archive;
using MessengerAutoReply.Archive.PocketBase;

namespace MessengerAutoReply.Operators.PocketBase;

/// <summary>
/// Record calls for the workspace collections, through the archive's admin client: the collections exist first
/// (<see cref="PocketBaseSchema.EnsureWorkspaceAsync"/>), and every failure to reach PocketBase becomes
/// <see cref="ArchiveUnavailableException"/>, as for the archive's reads.
/// </summary>
internal sealed class PocketBaseWorkspace(PocketBaseClient client, PocketBaseSchema schema)
{
    public static string Path(string collection) => $"/api/collections/{collection}/records";

    public Task<T?> GetAsync<T>(string collection, string id, CancellationToken ct) where T : class => Run(async () =>
    {
        using var response = await client.SendAsync(() => new HttpRequestMessage(HttpMethod.Get, $"{Path(collection)}/{Uri.EscapeDataString(id)}"), ct);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
        await client.EnsureSuccessAsync(response, ct);
        return await response.Content.ReadFromJsonAsync<T>(PocketBaseClient.Json, ct);
    }, ct);

    public Task<RecordList<T>> ListAsync<T>(string collection, string filter, string sort, int page, int perPage, CancellationToken ct, string? fields = null) => Run(async () =>
    {
        var query = $"?page={page}&perPage={perPage}&sort={Uri.EscapeDataString(sort)}";
        if (filter.Length > 0)
        {
            query += $"&filter={Uri.EscapeDataString(filter)}";
        }
        if (fields is not null)
        {
            query += $"&fields={Uri.EscapeDataString(fields)}";
        }
        return await client.SendJsonAsync<RecordList<T>>(HttpMethod.Get, Path(collection) + query, null, ct);
    }, ct);

    /// <summary>Create; the PocketBase validation error, if any, is thrown as it is (the caller may know its meaning).</summary>
    public Task CreateAsync(string collection, object body, CancellationToken ct) => Run(async () =>
    {
        using var response = await client.SendAsync(() => new HttpRequestMessage(HttpMethod.Post, $"{Path(collection)}?fields=id")
        {
            Content = JsonContent.Create(body, body.GetType(), options: PocketBaseClient.Json),
        }, ct);
        await client.EnsureSuccessAsync(response, ct);
        return true;
    }, ct, passValidation: true);

    /// <summary>False when there is no such record.</summary>
    public Task<bool> PatchAsync(string collection, string id, object body, CancellationToken ct) => Run(async () =>
    {
        using var response = await client.SendAsync(() => new HttpRequestMessage(HttpMethod.Patch, $"{Path(collection)}/{Uri.EscapeDataString(id)}?fields=id")
        {
            Content = JsonContent.Create(body, body.GetType(), options: PocketBaseClient.Json),
        }, ct);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }
        await client.EnsureSuccessAsync(response, ct);
        return true;
    }, ct, passValidation: true);

    public Task<bool> DeleteAsync(string collection, string id, CancellationToken ct) => Run(async () =>
    {
        using var response = await client.SendAsync(() => new HttpRequestMessage(HttpMethod.Delete, $"{Path(collection)}/{Uri.EscapeDataString(id)}"), ct);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }
        await client.EnsureSuccessAsync(response, ct);
        return true;
    }, ct);

    private async Task<T> Run<T>(Func<Task<T>> call, CancellationToken ct, bool passValidation = false)
    {
        try
        {
            await schema.EnsureWorkspaceAsync(ct);
            return await call();
        }
        catch (PocketBaseException ex) when (passValidation && ex.Status == HttpStatusCode.BadRequest && !ex.MayBeUnauthorised)
        {
            throw;
        }
        catch (Exception ex) when (ex is HttpRequestException or PocketBaseException or PocketBaseUnsupportedException
            or Polly.Timeout.TimeoutRejectedException or Polly.CircuitBreaker.BrokenCircuitException
            || (ex is OperationCanceledException && !ct.IsCancellationRequested))
        {
            throw new ArchiveUnavailableException($"PocketBase: {ex.Message}", ex);
        }
    }
}
