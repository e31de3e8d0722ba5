namespace Conversations.Bench;

/// <summary>Reads <c>name=value</c> arguments.</summary>
public static class Args
{
    public static int Int(string[] args, string name, int fallback) =>
        args.Select(a => a.Split('=', 2)).Where(p => p.Length == 2 && p[0] == name).Select(p => int.Parse(p[1])).DefaultIfEmpty(fallback).First();

    public static string? Text(string[] args, string name) =>
        args.Select(a => a.Split('=', 2)).Where(p => p.Length == 2 && p[0] == name).Select(p => p[1]).FirstOrDefault();
}
