namespace Conversations.Bench; public static class Program { public static void Main() { } }
