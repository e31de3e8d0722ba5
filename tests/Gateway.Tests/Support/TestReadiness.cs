using Conversations.Gateway.Health;

namespace Conversations.Gateway.Tests.Support;

/// <summary>A readiness contributor whose problem the test sets (inside a silo: "silo not active in the cluster").</summary>
public sealed class TestReadiness(string? problem) : IReadinessContributor
{
    public string? Problem { get; set; } = problem;
}
