namespace Conversations.Gateway.Cluster;

/// <summary>
/// How the gateway reaches the grains: the silo's own grain factory when mounted in a silo, the
/// Orleans client when standalone. <see cref="Current"/> is null while the standalone gateway has
/// not reached any silo yet (webhooks are still stored; the re-drive wakes them later).
/// </summary>
public interface IGrainAccess
{
    IGrainFactory? Current { get; }
}

/// <summary>Inside a silo: its grain factory, always there.</summary>
public sealed class SiloGrainAccess(IGrainFactory grains) : IGrainAccess
{
    public IGrainFactory? Current => grains;
}
