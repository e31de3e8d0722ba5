namespace Conversations;

/// <summary>
/// The part of the deployment this process serves now (one over the active silos), in (0, 1]. Limits a platform
/// sets for the whole deployment (Engage: requests per minute) are divided by it, so N silos
/// together stay within one budget instead of spending N.
/// </summary>
public interface IClusterShare
{
    double Fraction { get; }
}

/// <summary>A single process owns every conversation.</summary>
public sealed class WholeCluster : IClusterShare
{
    public static readonly WholeCluster Instance = new();
    public double Fraction => 1;
}
