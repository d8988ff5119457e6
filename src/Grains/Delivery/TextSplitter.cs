using System.Globalization;

namespace MessengerAutoReply.Delivery;

/// <summary>Cuts a reply that is longer than a platform message may be into parts that each fit.</summary>
public static class TextSplitter
{
    /// <summary>
    /// Splits at paragraph, then line, then sentence, then word boundaries so every part fits; order kept. A
    /// cut with no boundary in reach falls between two characters as the reader sees them (text elements): never
    /// inside a surrogate pair (half an emoji is invalid UTF-16, which platforms refuse or show as �), and not
    /// between a letter and its combining marks unless one such character is itself longer than a part.
    /// </summary>
    public static IReadOnlyList<string> Split(string text, int maxLength)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLength, 16);
        var parts = new List<string>();
        var rest = text.Trim();
        while (rest.Length > maxLength)
        {
            var window = rest.AsSpan(0, maxLength);
            var cut = LastBoundary(window, "\n\n", maxLength / 3)
                ?? LastBoundary(window, "\n", maxLength / 3)
                ?? LastSentenceEnd(window, maxLength / 3)
                ?? LastBoundary(window, " ", maxLength / 3)
                ?? HardCut(rest, maxLength);
            parts.Add(rest[..cut].TrimEnd());
            rest = rest[cut..].TrimStart();
        }
        if (rest.Length > 0 || parts.Count == 0)
        {
            parts.Add(rest);
        }
        return parts;
    }

    private static int? LastBoundary(ReadOnlySpan<char> window, string separator, int minimum)
    {
        var at = window.LastIndexOf(separator.AsSpan(), StringComparison.Ordinal);
        return at >= minimum ? at + separator.Length : null;
    }

    private static int? LastSentenceEnd(ReadOnlySpan<char> window, int minimum)
    {
        for (var i = window.Length - 2; i >= minimum; i--)
        {
            if (window[i] is '.' or '!' or '?' or '…' && char.IsWhiteSpace(window[i + 1]))
            {
                return i + 1;
            }
        }
        return null;
    }

    /// <summary>The last text-element boundary within <paramref name="maxLength"/>; else the last one that splits no surrogate pair.</summary>
    private static int HardCut(string text, int maxLength)
    {
        var last = 0;
        var at = 0;
        while (at < text.Length)
        {
            var next = at + StringInfo.GetNextTextElementLength(text.AsSpan(at));
            if (next > maxLength)
            {
                break;
            }
            last = at = next;
        }
        if (last > 0)
        {
            return last;
        }
        // One text element longer than a whole part (a letter with hundreds of combining marks): cut inside it, but
        // never between a high and a low surrogate.
        return char.IsHighSurrogate(text[maxLength - 1]) && char.IsLowSurrogate(text[maxLength]) ? maxLength - 1 : maxLength;
    }
}
