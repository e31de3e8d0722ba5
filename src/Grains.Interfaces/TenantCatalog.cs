namespace Conversations;

/// <summary>The configured tenants, looked up by id. Invalid settings fail at start-up with every problem listed.</summary>
public sealed class TenantCatalog
{
    private readonly Dictionary<string, TenantOptions> _byId;

    public TenantCatalog(IEnumerable<TenantOptions> tenants)
    {
        var list = tenants.ToList();
        var problems = list.SelectMany((t, i) => t.Validate(i)).ToList();
        problems.AddRange(list.GroupBy(t => t.Id).Where(g => g.Count() > 1).Select(g => $"Conversations:Tenants: tenant id '{g.Key}' is configured more than once."));
        if (problems.Count > 0) throw new InvalidOperationException("Invalid tenant configuration:\n  " + string.Join("\n  ", problems));
        _byId = list.ToDictionary(t => t.Id, StringComparer.Ordinal);
    }

    public IReadOnlyCollection<TenantOptions> All => _byId.Values;

    public TenantOptions? Find(string id) => _byId.GetValueOrDefault(id);
}
