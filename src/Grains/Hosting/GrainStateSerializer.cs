using Orleans.Storage;

namespace MessengerAutoReply.Hosting;

/// <summary>
/// How every grain storage of the service stores state: Orleans' own binary serializer (compact, version
/// tolerant for our [GenerateSerializer] types, and 1.2-2.2× cheaper than JSON on a chat's state, issue #14).
/// Reading also takes what Orleans' default JSON serializer wrote (a memory or Redis store configured with the
/// defaults, PubSubStore rows), so existing state stays readable; the next write of it is binary.
/// Orleans' binary output of an object never begins with '{': its first byte is a field header whose top three
/// bits are the wire type, tag-delimited (001) for an object, while 0x7B would say fixed 64-bit (011). JSON
/// state always begins with '{'. (GrainStateSerializerTests checks both on real state.)
/// </summary>
public sealed class GrainStateSerializer(OrleansGrainStorageSerializer binary, JsonGrainStorageSerializer json) : IGrainStorageSerializer
{
    public BinaryData Serialize<T>(T? input) => binary.Serialize(input);

    public T? Deserialize<T>(BinaryData input) => IsJson(input.ToMemory().Span) ? json.Deserialize<T>(input) : binary.Deserialize<T>(input);

    /// <summary>Newtonsoft writes an object, optionally after a UTF-8 byte-order mark or whitespace.</summary>
    public static bool IsJson(ReadOnlySpan<byte> data)
    {
        if (data.StartsWith("\uFEFF"u8))
        {
            data = data[3..];
        }
        data = data.TrimStart(" \t\r\n"u8);
        return data.Length > 0 && data[0] == (byte)'{';
    }
}
