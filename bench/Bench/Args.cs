namespace Conversations.Bench;

/// <summary>Reads <c>name=value</c> arguments; the last one of a name wins, so a script's defaults can be overridden after them.</summary>
public static class Args
{
    public static int Int(string[] args, string name, int fallback) => Text(args, name) is { } text ? int.Parse(text) : fallback;

    public static string? Text(string[] args, string name) =>
        args.Select(a => a.Split('=', 2)).Where(p => p.Length == 2 && p[0] == name).Select(p => p[1]).LastOrDefault();
}
