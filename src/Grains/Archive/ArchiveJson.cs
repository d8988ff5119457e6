using System.Text.Json;

namespace MessengerAutoReply.Archive;

/// <summary>The JSON shape of records everywhere: REST, SSE, archive rows (camelCase, the seed's names).</summary>
public static class ArchiveJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.Never,
    };
}
