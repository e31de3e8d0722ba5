using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using Orleans.Storage;

namespace Conversations.Grains.Tests.Cluster;

/// <summary>
/// One grain storage for every silo of a test cluster, as a database would be: states survive a
/// killed silo. States are copied as JSON with an etag per write. <see cref="BumpAsOtherActivation"/>
/// writes a state behind the back of a live activation, as a second activation would.
/// </summary>
public sealed class SharedGrainStorage : IGrainStorage
{
    private readonly ConcurrentDictionary<string, (long Version, string Json)> _entries = new();

    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        if (_entries.TryGetValue(grainId.Key.ToString()!, out var entry))
        {
            grainState.State = JsonSerializer.Deserialize<T>(entry.Json)!;
            grainState.ETag = entry.Version.ToString(CultureInfo.InvariantCulture);
            grainState.RecordExists = true;
        }
        else
        {
            grainState.State = Activator.CreateInstance<T>();
            grainState.ETag = null;
            grainState.RecordExists = false;
        }
        return Task.CompletedTask;
    }

    public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        lock (_entries)
        {
            var current = _entries.TryGetValue(grainId.Key.ToString()!, out var entry) ? entry.Version.ToString(CultureInfo.InvariantCulture) : null;
            if (current != grainState.ETag) throw new InconsistentStateException("etag mismatch", current, grainState.ETag);
            var next = (entry.Version + 1, JsonSerializer.Serialize(grainState.State));
            _entries[grainId.Key.ToString()!] = next;
            grainState.ETag = next.Item1.ToString(CultureInfo.InvariantCulture);
            grainState.RecordExists = true;
        }
        return Task.CompletedTask;
    }

    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        lock (_entries) _entries.TryRemove(grainId.Key.ToString()!, out _);
        grainState.ETag = null;
        grainState.RecordExists = false;
        return Task.CompletedTask;
    }

    public ConversationGrainState? Read(ConversationKey key) =>
        _entries.TryGetValue(GrainIdOf(key), out var entry) ? JsonSerializer.Deserialize<ConversationGrainState>(entry.Json) : null;

    /// <summary>Writes the stored state again with a new etag (and an unchanged content), as another activation would.</summary>
    public void BumpAsOtherActivation(ConversationKey key)
    {
        lock (_entries)
        {
            var id = GrainIdOf(key);
            var entry = _entries[id];
            _entries[id] = (entry.Version + 1, entry.Json);
        }
    }

    private static string GrainIdOf(ConversationKey key) => ConversationGrainKey.Format(key);
}
