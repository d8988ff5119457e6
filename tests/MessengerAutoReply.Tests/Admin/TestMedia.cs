using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace MessengerAutoReply.Tests.Admin;

/// <summary>
/// Small but valid media made in code, so the browser really decodes what the console shows: a PNG picture
/// and an Ogg Opus voice note (Telegram's format) of silence.
/// </summary>
public static class TestMedia
{
    /// <summary>A <paramref name="width"/>×<paramref name="height"/> RGB PNG: a dusk sky over a hill, with a sun.</summary>
    public static byte[] Png(int width = 320, int height = 200)
    {
        var raw = new byte[height * (1 + (width * 3))];
        var i = 0;
        for (var y = 0; y < height; y++)
        {
            raw[i++] = 0; // filter: none
            for (var x = 0; x < width; x++)
            {
                var t = y / (double)height;
                // Sky from deep blue to warm orange, a sun disc, and a dark green hill in front.
                double r = 40 + (215 * t), g = 70 + (110 * t), b = 160 - (90 * t);
                var dx = x - (width * 0.68);
                var dy = y - (height * 0.55);
                if ((dx * dx) + (dy * dy) < (height * 0.16) * (height * 0.16))
                {
                    (r, g, b) = (255, 214, 120);
                }
                var hill = height * (0.72 - (0.12 * Math.Sin(x / (double)width * Math.PI)));
                if (y > hill)
                {
                    (r, g, b) = (30, 90 - (20 * t), 55);
                }
                raw[i++] = (byte)Math.Clamp(r, 0, 255);
                raw[i++] = (byte)Math.Clamp(g, 0, 255);
                raw[i++] = (byte)Math.Clamp(b, 0, 255);
            }
        }

        using var png = new MemoryStream();
        png.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, width);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), height);
        header[8] = 8; // bit depth
        header[9] = 2; // colour type: truecolour
        WriteChunk(png, "IHDR", header);
        using (var compressed = new MemoryStream())
        {
            using (var zlib = new ZLibStream(compressed, CompressionLevel.Optimal, leaveOpen: true))
            {
                zlib.Write(raw);
            }
            WriteChunk(png, "IDAT", compressed.ToArray());
        }
        WriteChunk(png, "IEND", []);
        return png.ToArray();
    }

    /// <summary>
    /// An Ogg Opus stream of <paramref name="seconds"/> of silence: OpusHead, OpusTags, then one-byte CELT
    /// packets (20 ms each, no frame data: decoders conceal them as silence).
    /// </summary>
    public static byte[] OggOpus(double seconds = 2.0)
    {
        const int preSkip = 312;
        const int samplesPerPacket = 960; // 20 ms at 48 kHz
        var packets = (int)Math.Ceiling(seconds * 50);
        var serial = 0x4D415231u;

        var head = new byte[19];
        Encoding.ASCII.GetBytes("OpusHead").CopyTo(head, 0);
        head[8] = 1; // version
        head[9] = 1; // channels
        BinaryPrimitives.WriteUInt16LittleEndian(head.AsSpan(10), preSkip);
        BinaryPrimitives.WriteUInt32LittleEndian(head.AsSpan(12), 48_000);
        // output gain 0, mapping family 0

        var vendor = Encoding.ASCII.GetBytes("MessengerAutoReply tests");
        var tags = new byte[8 + 4 + vendor.Length + 4];
        Encoding.ASCII.GetBytes("OpusTags").CopyTo(tags, 0);
        BinaryPrimitives.WriteUInt32LittleEndian(tags.AsSpan(8), (uint)vendor.Length);
        vendor.CopyTo(tags, 12);

        using var ogg = new MemoryStream();
        uint sequence = 0;
        WriteOggPage(ogg, 0x02, 0, serial, sequence++, [head]);
        WriteOggPage(ogg, 0x00, 0, serial, sequence++, [tags]);
        // TOC 0xF8: config 31 (CELT-only, fullband, 20 ms), mono, code 0 (one frame), here of zero bytes.
        var silence = new byte[] { 0xF8 };
        var written = 0;
        while (written < packets)
        {
            var count = Math.Min(200, packets - written);
            written += count;
            var last = written == packets;
            WriteOggPage(ogg, last ? (byte)0x04 : (byte)0x00, (long)written * samplesPerPacket, serial, sequence++,
                [.. Enumerable.Repeat(silence, count)]);
        }
        return ogg.ToArray();
    }

    private static void WriteChunk(Stream png, string type, byte[] data)
    {
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(length, data.Length);
        png.Write(length);
        var typeBytes = Encoding.ASCII.GetBytes(type);
        png.Write(typeBytes);
        png.Write(data);
        var crc = Crc32Png(Crc32Png(0xFFFFFFFFu, typeBytes), data) ^ 0xFFFFFFFFu;
        Span<byte> crcBytes = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(crcBytes, crc);
        png.Write(crcBytes);
    }

    private static uint Crc32Png(uint crc, ReadOnlySpan<byte> data)
    {
        foreach (var b in data)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++)
            {
                crc = (crc & 1) != 0 ? 0xEDB88320u ^ (crc >> 1) : crc >> 1;
            }
        }
        return crc;
    }

    /// <summary>One Ogg page holding whole packets (each under 255 bytes, so one lacing value each).</summary>
    private static void WriteOggPage(Stream ogg, byte headerType, long granule, uint serial, uint sequence, byte[][] packets)
    {
        var segments = new List<byte>();
        foreach (var packet in packets)
        {
            var left = packet.Length;
            while (left >= 255)
            {
                segments.Add(255);
                left -= 255;
            }
            segments.Add((byte)left);
        }
        var page = new MemoryStream();
        page.Write("OggS"u8);
        page.WriteByte(0); // version
        page.WriteByte(headerType);
        Span<byte> field = stackalloc byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(field, granule);
        page.Write(field);
        BinaryPrimitives.WriteUInt32LittleEndian(field, serial);
        page.Write(field[..4]);
        BinaryPrimitives.WriteUInt32LittleEndian(field, sequence);
        page.Write(field[..4]);
        page.Write([0, 0, 0, 0]); // CRC, filled in below
        page.WriteByte((byte)segments.Count);
        page.Write(segments.ToArray());
        foreach (var packet in packets)
        {
            page.Write(packet);
        }
        var bytes = page.ToArray();
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(22), Crc32Ogg(bytes));
        ogg.Write(bytes);
    }

    /// <summary>Ogg's CRC: polynomial 0x04C11DB7, not reflected, initial value 0, no final xor.</summary>
    private static uint Crc32Ogg(ReadOnlySpan<byte> data)
    {
        uint crc = 0;
        foreach (var b in data)
        {
            crc ^= (uint)b << 24;
            for (var k = 0; k < 8; k++)
            {
                crc = (crc & 0x80000000u) != 0 ? (crc << 1) ^ 0x04C11DB7u : crc << 1;
            }
        }
        return crc;
    }
}
