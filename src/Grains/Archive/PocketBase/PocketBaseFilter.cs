using System.Text;

namespace MessengerAutoReply.Archive.PocketBase;

/// <summary>
/// Filter terms for PocketBase 0.22, written the way its filter parser (fexpr) reads strings: a quoted text ends at
/// the first quote not preceded by a backslash, and only <c>\'</c> is unescaped afterwards; every other backslash
/// is literal. So a quote is escaped and a backslash is not, and a value that ends in a backslash cannot be
/// written as a plain literal at all (its closing quote would be escaped): such values go through LIKE patterns,
/// which end in <c>%</c> instead (checked against the real 0.22.20 in PocketBaseFilterInjectionTests).
/// </summary>
public static class PocketBaseFilter
{
    /// <summary><c>field = value</c>, exactly (case-sensitive, as <c>=</c> is).</summary>
    public static string Equal(string field, string value)
    {
        if (!value.EndsWith('\\'))
        {
            return $"{field}={Literal(value)}";
        }
        // p\…\ : starts with p\…\ (LIKE, case-insensitive for ASCII), is no longer than that, and sorts between
        // p[ and p] (binary comparison: the prefix is p exactly, case included). '\' sits between '[' and ']'.
        var prefix = value.TrimEnd('\\');
        var like = LikeEscape(value);
        return $"({field}~{Literal(like + "%")} && {field}!~{Literal(like + "_%")} && {field}>{Literal(prefix + "[")} && {field}<{Literal(prefix + "]")})";
    }

    /// <summary><c>field</c> contains <paramref name="value"/> (case-insensitive for ASCII, like PocketBase's own <c>~</c>); % and _ are literal.</summary>
    public static string Contains(string field, string value) => $"{field}~{Literal("%" + LikeEscape(value) + "%")}";

    /// <summary>A quoted literal for a value that does not end in a backslash.</summary>
    private static string Literal(string value)
    {
        if (value.EndsWith('\\'))
        {
            throw new ArgumentException("A PocketBase 0.22 filter literal cannot end in a backslash.", nameof(value));
        }
        return "'" + value.Replace("'", "\\'", StringComparison.Ordinal) + "'";
    }

    /// <summary>LIKE with PocketBase's <c>ESCAPE '\'</c>: backslash, % and _ taken literally.</summary>
    private static string LikeEscape(string value)
    {
        var text = new StringBuilder(value.Length + 8);
        foreach (var c in value)
        {
            if (c is '\\' or '%' or '_')
            {
                text.Append('\\');
            }
            text.Append(c);
        }
        return text.ToString();
    }
}
