using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Conversations.Gateway.Tests.Support;

/// <summary>Keeps every log line at or above <paramref name="minimum"/> as "level category: message exception-type".</summary>
public sealed class CapturingLoggerProvider(LogLevel minimum = LogLevel.Trace) : ILoggerProvider
{
    public ConcurrentQueue<string> Lines { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Capture(this, categoryName);

    public void Dispose() { }

    private sealed class Capture(CapturingLoggerProvider owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= owner._minimum;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel)) owner.Lines.Enqueue($"{logLevel} {category}: {formatter(state, exception)} {exception?.GetType().Name}");
        }
    }

    private readonly LogLevel _minimum = minimum;
}
