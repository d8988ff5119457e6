using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace MessengerAutoReply.Hosting;

/// <summary>
/// Reads settings by their environment-variable names and collects one line per bad value, so start-up can
/// say exactly which variable to fix instead of throwing a stack trace.
/// </summary>
public sealed class SettingsReader(IConfiguration configuration)
{
    private readonly List<string> _errors = [];

    public IReadOnlyList<string> Errors => _errors;

    public void Error(string name, string problem) => _errors.Add($"{name}: {problem}");

    public string? String(string name)
    {
        var value = configuration[name];
        return string.IsNullOrWhiteSpace(value) ? null : value.Trim();
    }

    public string String(string name, string fallback) => String(name) ?? fallback;

    public int Int(string name, int fallback, int min = int.MinValue, int max = int.MaxValue)
    {
        var raw = String(name);
        if (raw is null)
        {
            return fallback;
        }
        if (!int.TryParse(raw, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
        {
            Error(name, $"expected a whole number from {min} to {max}, got '{raw}'");
            return fallback;
        }
        return value;
    }

    public bool Bool(string name, bool fallback)
    {
        var raw = String(name);
        switch (raw?.ToLowerInvariant())
        {
            case null: return fallback;
            case "true" or "1" or "yes" or "on": return true;
            case "false" or "0" or "no" or "off": return false;
            default:
                Error(name, $"expected true or false, got '{raw}'");
                return fallback;
        }
    }

    /// <summary>A duration like <c>1500ms</c>, <c>15s</c>, <c>2m</c>, <c>2h</c>, <c>1d</c>; a bare number is in <paramref name="bareUnit"/>.</summary>
    public TimeSpan Duration(string name, TimeSpan fallback, string bareUnit = "s")
    {
        var raw = String(name);
        if (raw is null)
        {
            return fallback;
        }
        if (TryParseDuration(raw, bareUnit, out var value) && value >= TimeSpan.Zero)
        {
            return value;
        }
        Error(name, $"expected a duration such as 500ms, 15s, 5m or 2h, got '{raw}'");
        return fallback;
    }

    public TimeSpan? OptionalDuration(string name)
    {
        var raw = String(name);
        if (raw is null || raw is "off" or "0")
        {
            return null;
        }
        if (TryParseDuration(raw, "s", out var value) && value > TimeSpan.Zero)
        {
            return value;
        }
        Error(name, $"expected a duration such as 30m or 2h (or off), got '{raw}'");
        return null;
    }

    public Uri? AbsoluteUri(string name, string? fallback = null)
    {
        var raw = String(name) ?? fallback;
        if (raw is null)
        {
            return null;
        }
        if (Uri.TryCreate(raw, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps))
        {
            return uri;
        }
        Error(name, $"expected an absolute http(s) URL, got '{raw}'");
        return null;
    }

    public static bool TryParseDuration(string raw, string bareUnit, out TimeSpan value)
    {
        raw = raw.Trim().ToLowerInvariant();
        var unitStart = raw.Length;
        while (unitStart > 0 && char.IsLetter(raw[unitStart - 1]))
        {
            unitStart--;
        }
        var unit = unitStart == raw.Length ? bareUnit : raw[unitStart..];
        value = default;
        if (!double.TryParse(raw[..unitStart], NumberStyles.Float, CultureInfo.InvariantCulture, out var number))
        {
            return false;
        }
        double? ms = unit switch
        {
            "ms" => number,
            "s" => number * 1000,
            "m" or "min" => number * 60_000,
            "h" => number * 3_600_000,
            "d" => number * 86_400_000,
            _ => null,
        };
        if (ms is null)
        {
            return false;
        }
        value = TimeSpan.FromMilliseconds(ms.Value);
        return true;
    }
}

/// <summary>Thrown at start when settings are invalid; the host prints <see cref="Errors"/> one per line.</summary>
public sealed class InvalidSettingsException(IReadOnlyList<string> errors)
    : Exception(string.Join(Environment.NewLine, errors))
{
    public IReadOnlyList<string> Errors { get; } = errors;
}
