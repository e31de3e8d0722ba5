using System.Collections.Concurrent;
using System.Globalization;
using Orleans.Serialization;
using Orleans.Serialization.Cloning;
using Orleans.Storage;

namespace Conversations.Silo.Hosting;

/// <summary>
/// Grain storage of the embedded (Memory) silo: deep copies of the states (Orleans' generated
/// copiers) in this process's memory, with etags. Orleans' own memory storage keeps states in
/// storage grains, which are deactivated while the silo shuts down; a turn still finishing then
/// could not write (the shutdown drain lost its last write). This one lives as long as the
/// process, so a stopping silo commits its turns in flight.
/// </summary>
public sealed class ProcessMemoryGrainStorage(DeepCopier copier) : IGrainStorage
{
    private readonly ConcurrentDictionary<(string State, GrainId Grain), Entry> _entries = new();

    private sealed record Entry(long Version, object Payload);

    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        if (_entries.TryGetValue((stateName, grainId), out var entry))
        {
            grainState.State = copier.Copy((T)entry.Payload);
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
        object payload = copier.Copy(grainState.State)!;
        var key = (stateName, grainId);
        while (true)
        {
            _entries.TryGetValue(key, out var current);
            if (current?.Version.ToString(CultureInfo.InvariantCulture) != grainState.ETag)
                throw new InconsistentStateException($"Etag mismatch writing {stateName} of {grainId}", current?.Version.ToString(CultureInfo.InvariantCulture), grainState.ETag);
            var next = new Entry((current?.Version ?? 0) + 1, payload);
            var stored = current is null ? _entries.TryAdd(key, next) : _entries.TryUpdate(key, next, current);
            if (!stored) continue;
            grainState.ETag = next.Version.ToString(CultureInfo.InvariantCulture);
            grainState.RecordExists = true;
            return Task.CompletedTask;
        }
    }

    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        _entries.TryRemove((stateName, grainId), out _);
        grainState.ETag = null;
        grainState.RecordExists = false;
        grainState.State = Activator.CreateInstance<T>();
        return Task.CompletedTask;
    }
}
