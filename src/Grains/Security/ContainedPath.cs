namespace MessengerAutoReply.Security;

/// <summary>
/// Resolves a path the way the kernel will open it (every symbolic link on the way, <c>..</c> included) and says
/// whether the result lies inside a folder. Used where another server names a file on our disk.
/// </summary>
public static class ContainedPath
{
    private const int MaxLinks = 40;

    /// <summary>The resolved path when it is a regular file under <paramref name="root"/>, else null.</summary>
    public static string? ResolveFileUnder(string root, string path)
    {
        var realRoot = Resolve(root);
        var realPath = Resolve(path);
        if (realRoot is null || realPath is null)
        {
            return null;
        }
        var prefix = realRoot.EndsWith(Path.DirectorySeparatorChar) ? realRoot : realRoot + Path.DirectorySeparatorChar;
        if (!realPath.StartsWith(prefix, StringComparison.Ordinal))
        {
            return null;
        }
        var info = new FileInfo(realPath);
        return info.Exists && info.LinkTarget is null ? realPath : null;
    }

    /// <summary>Like realpath(3): absolute, no links, no <c>.</c> or <c>..</c>; null on a link loop or a relative path.</summary>
    public static string? Resolve(string path)
    {
        if (!Path.IsPathRooted(path))
        {
            return null;
        }
        var pending = new Queue<string>(Path.GetFullPath(path).Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries));
        var current = Path.GetPathRoot(Path.GetFullPath(path))!;
        var links = 0;
        while (pending.Count > 0)
        {
            var part = pending.Dequeue();
            if (part == ".")
            {
                continue;
            }
            if (part == "..")
            {
                current = Path.GetDirectoryName(current) ?? current;
                continue;
            }
            var next = Path.Combine(current, part);
            FileSystemInfo info = Directory.Exists(next) ? new DirectoryInfo(next) : new FileInfo(next);
            if (info.LinkTarget is { } target)
            {
                if (++links > MaxLinks)
                {
                    return null;
                }
                // Restart from the link's target, then the rest of the path.
                var absolute = Path.IsPathRooted(target) ? target : Path.Combine(current, target);
                var rest = pending.ToArray();
                pending = new Queue<string>(absolute.Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries).Concat(rest));
                current = Path.GetPathRoot(absolute)!;
                continue;
            }
            current = next;
        }
        return current;
    }
}
