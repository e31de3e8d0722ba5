using System.Data;
using Conversations.Storage.Postgres;
using Conversations.TestSupport.Postgres;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Conversations.Storage.Tests.Postgres;

/// <summary>
/// A fresh database with the migrated schema and the Orleans query texts read from orleansquery, run
/// the way the Orleans ADO.NET providers run them: parameters bound by name with the same .NET types
/// and DbTypes (UTC DateTime as DbType.DateTime, addresses and reminder grain ids as AnsiString,
/// uint hashes cast to int, nullable int versions).
/// </summary>
public sealed class OrleansQueriesFixture : IAsyncLifetime
{
    private PostgresTestDatabase? _database;

    public NpgsqlDataSource DataSource { get; private set; } = null!;
    public IReadOnlyDictionary<string, string> Queries { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        _database = await PostgresTestDatabase.CreateAsync("orleansq");
        DataSource = PostgresDataSourceFactory.Create(new PostgresStoreOptions { ConnectionString = _database.ConnectionString });
        await new PostgresSchemaMigrator(DataSource, NullLogger<PostgresSchemaMigrator>.Instance).MigrateAsync(CancellationToken.None);

        // The statement the providers run at start, verbatim (unquoted mixed-case names).
        var queries = new Dictionary<string, string>(StringComparer.Ordinal);
        await using (var command = DataSource.CreateCommand("SELECT QueryKey, QueryText FROM OrleansQuery"))
        await using (var reader = await command.ExecuteReaderAsync())
            while (await reader.ReadAsync())
                queries.Add((string)reader.GetValue(reader.GetOrdinal("QueryKey")), (string)reader.GetValue(reader.GetOrdinal("QueryText")));
        Queries = queries;
    }

    public async Task DisposeAsync()
    {
        await DataSource.DisposeAsync();
        if (_database is not null) await _database.DisposeAsync();
    }
}

public sealed class OrleansQueriesTests(OrleansQueriesFixture fixture) : IClassFixture<OrleansQueriesFixture>
{
    private const int Active = 3;
    private const int Dead = 6;
    private const int Joining = 1;

    private static readonly DateTime T0 = new(2026, 3, 4, 5, 6, 7, DateTimeKind.Utc);

    // ---- keys ----------------------------------------------------------------------------------

    [Fact]
    public void Orleansquery_holds_exactly_the_twenty_keys_the_providers_read()
    {
        string[] expected =
        [
            "InsertMembershipVersionKey", "MembershipReadAllKey", "MembershipReadRowKey", "InsertMembershipKey",
            "UpdateMembershipKey", "UpdateIAmAlivetimeKey", "GatewaysQueryKey", "DeleteMembershipTableEntriesKey",
            "CleanupDefunctSiloEntriesKey", "ReadFromStorageKey", "WriteToStorageKey", "ClearStorageKey",
            "DeleteStorageKey", "UpsertReminderRowKey", "ReadReminderRowsKey", "ReadReminderRowKey",
            "ReadRangeRows1Key", "ReadRangeRows2Key", "DeleteReminderRowKey", "DeleteReminderRowsKey",
        ];
        Assert.Equal(expected.Order(StringComparer.Ordinal), fixture.Queries.Keys.Order(StringComparer.Ordinal));
        Assert.All(fixture.Queries.Values, text => Assert.False(string.IsNullOrWhiteSpace(text)));
    }

    [Fact]
    public async Task Storage_provider_start_query_finds_its_four_keys()
    {
        const string sql = "SELECT QueryKey, QueryText FROM OrleansQuery WHERE QueryKey = 'WriteToStorageKey' OR QueryKey = 'ReadFromStorageKey' OR QueryKey = 'ClearStorageKey' OR QueryKey = 'DeleteStorageKey'";
        var keys = new List<string>();
        await using (var command = fixture.DataSource.CreateCommand(sql))
        await using (var reader = await command.ExecuteReaderAsync())
            while (await reader.ReadAsync()) keys.Add(reader.GetString(0));
        Assert.Equal(["ClearStorageKey", "DeleteStorageKey", "ReadFromStorageKey", "WriteToStorageKey"], keys.Order(StringComparer.Ordinal));
    }

    // ---- membership ----------------------------------------------------------------------------

    [Fact]
    public async Task Version_row_is_inserted_once_and_read_all_without_members_returns_one_row()
    {
        var deployment = NewId("cluster");
        Assert.True(await BoolAsync("InsertMembershipVersionKey", Deployment(deployment)));
        Assert.False(await BoolAsync("InsertMembershipVersionKey", Deployment(deployment)));

        var row = Assert.Single(await QueryAsync("MembershipReadAllKey", Deployment(deployment)));
        Assert.Equal(0, row["Version"]);
        Assert.Null(row["StartTime"]);
        Assert.Null(row["Address"]);

        // Another deployment has its own version row.
        var other = NewId("cluster");
        Assert.True(await BoolAsync("InsertMembershipVersionKey", Deployment(other)));
        Assert.Equal(0, Assert.Single(await QueryAsync("MembershipReadAllKey", Deployment(other)))["Version"]);
    }

    [Fact]
    public async Task Insert_then_read_all_and_read_row_return_the_member_and_the_bumped_version()
    {
        var deployment = await NewDeploymentAsync();
        var silo = new Silo("10.0.0.7", 11111, 42, "silo-a", "host-a", 30000);
        Assert.True(await BoolAsync("InsertMembershipKey", InsertArgs(deployment, silo, Joining, T0, T0.AddSeconds(1), version: 0)));

        var all = await QueryAsync("MembershipReadAllKey", Deployment(deployment));
        var row = Assert.Single(all);
        Assert.Equal(1, row["Version"]);
        Assert.Equal("10.0.0.7", row["Address"]);
        Assert.Equal(11111, row["Port"]);
        Assert.Equal(42, row["Generation"]);
        Assert.Equal("silo-a", row["SiloName"]);
        Assert.Equal("host-a", row["HostName"]);
        Assert.Equal(Joining, row["Status"]);
        Assert.Equal(30000, row["ProxyPort"]);
        Assert.Null(row["SuspectTimes"]);
        Assert.Equal(T0, row["StartTime"]);
        Assert.Equal(DateTimeKind.Utc, ((DateTime)row["StartTime"]!).Kind);
        Assert.Equal(T0.AddSeconds(1), row["IAmAliveTime"]);

        var one = Assert.Single(await QueryAsync("MembershipReadRowKey", RowArgs(deployment, silo)));
        Assert.Equal(1, one["Version"]);
        Assert.Equal("silo-a", one["SiloName"]);
        Assert.Equal(T0, one["StartTime"]);

        // An unknown silo (another generation) still yields the version row, with no member.
        var missing = Assert.Single(await QueryAsync("MembershipReadRowKey", RowArgs(deployment, silo with { Generation = 43 })));
        Assert.Equal(1, missing["Version"]);
        Assert.Null(missing["StartTime"]);

        // A second silo: read all returns both, each with the table version.
        var second = new Silo("10.0.0.8", 11111, 42, "silo-b", "host-b", 30000);
        Assert.True(await BoolAsync("InsertMembershipKey", InsertArgs(deployment, second, Active, T0, T0, version: 1)));
        all = await QueryAsync("MembershipReadAllKey", Deployment(deployment));
        Assert.Equal(["10.0.0.7", "10.0.0.8"], all.Select(r => (string)r["Address"]!).Order(StringComparer.Ordinal));
        Assert.All(all, r => Assert.Equal(2, r["Version"]));
    }

    [Fact]
    public async Task Insert_with_a_stale_version_or_an_existing_key_fails_and_changes_nothing()
    {
        var deployment = await NewDeploymentAsync();
        var silo = new Silo("10.0.0.9", 11111, 1, "silo", "host", 30000);
        Assert.True(await BoolAsync("InsertMembershipKey", InsertArgs(deployment, silo, Active, T0, T0, version: 0)));

        // Stale version (0, the table is at 1): refused, no row, version unchanged.
        var other = silo with { Address = "10.0.0.10" };
        Assert.False(await BoolAsync("InsertMembershipKey", InsertArgs(deployment, other, Active, T0, T0, version: 0)));
        // Same key again with the current version: refused and the version does not move.
        Assert.False(await BoolAsync("InsertMembershipKey", InsertArgs(deployment, silo with { SiloName = "again" }, Joining, T0, T0, version: 1)));

        var row = Assert.Single(await QueryAsync("MembershipReadAllKey", Deployment(deployment)));
        Assert.Equal(1, row["Version"]);
        Assert.Equal("silo", row["SiloName"]);
        Assert.Equal(Active, row["Status"]);

        // A version row is needed at all: a deployment without one accepts nothing.
        Assert.False(await BoolAsync("InsertMembershipKey", InsertArgs(NewId("cluster"), silo, Active, T0, T0, version: 0)));
    }

    [Fact]
    public async Task Update_with_the_read_version_succeeds_and_a_stale_one_changes_neither_row_nor_version()
    {
        var deployment = await NewDeploymentAsync();
        var silo = new Silo("10.1.0.1", 11111, 5, "silo", "host", 30000);
        var voter = new Silo("10.1.0.2", 11111, 6, "voter", "host", 30000);
        Assert.True(await BoolAsync("InsertMembershipKey", InsertArgs(deployment, silo, Joining, T0, T0, version: 0)));
        Assert.True(await BoolAsync("InsertMembershipKey", InsertArgs(deployment, voter, Active, T0, T0, version: 1)));

        var suspect = $"S10.1.0.2:11111:6,{T0.AddMinutes(1):yyyy-MM-dd HH:mm:ss.fff} GMT";
        Assert.True(await BoolAsync("UpdateMembershipKey", UpdateArgs(deployment, silo, Active, suspect, T0.AddMinutes(2), version: 2)));

        var row = Assert.Single(await QueryAsync("MembershipReadRowKey", RowArgs(deployment, silo)));
        Assert.Equal(3, row["Version"]);
        Assert.Equal(Active, row["Status"]);
        Assert.Equal(suspect, row["SuspectTimes"]);
        Assert.Equal(T0.AddMinutes(2), row["IAmAliveTime"]);
        Assert.Equal(T0, row["StartTime"]);
        Assert.Equal("silo", row["SiloName"]);

        // Stale version 2 (the table is at 3).
        Assert.False(await BoolAsync("UpdateMembershipKey", UpdateArgs(deployment, silo, Dead, null, T0.AddMinutes(9), version: 2)));
        row = Assert.Single(await QueryAsync("MembershipReadRowKey", RowArgs(deployment, silo)));
        Assert.Equal(3, row["Version"]);
        Assert.Equal(Active, row["Status"]);
        Assert.Equal(suspect, row["SuspectTimes"]);
        Assert.Equal(T0.AddMinutes(2), row["IAmAliveTime"]);

        // A silo that has no row: refused, and the version stays.
        Assert.False(await BoolAsync("UpdateMembershipKey", UpdateArgs(deployment, silo with { Generation = 99 }, Dead, null, T0, version: 3)));
        Assert.Equal(3, Assert.Single(await QueryAsync("MembershipReadRowKey", RowArgs(deployment, silo)))["Version"]);

        // Null suspect times clear the column.
        Assert.True(await BoolAsync("UpdateMembershipKey", UpdateArgs(deployment, silo, Dead, null, T0.AddMinutes(3), version: 3)));
        row = Assert.Single(await QueryAsync("MembershipReadRowKey", RowArgs(deployment, silo)));
        Assert.Equal(4, row["Version"]);
        Assert.Equal(Dead, row["Status"]);
        Assert.Null(row["SuspectTimes"]);
    }

    [Fact]
    public async Task Concurrent_updates_from_the_same_version_let_exactly_one_win()
    {
        var deployment = await NewDeploymentAsync();
        var silo = new Silo("10.2.0.1", 11111, 1, "silo", "host", 30000);
        Assert.True(await BoolAsync("InsertMembershipKey", InsertArgs(deployment, silo, Active, T0, T0, version: 0)));

        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => Task.Run(() =>
            BoolAsync("UpdateMembershipKey", UpdateArgs(deployment, silo, Active, null, T0.AddSeconds(i + 1), version: 1)))));
        Assert.Equal(1, results.Count(r => r));
        Assert.Equal(2, Assert.Single(await QueryAsync("MembershipReadAllKey", Deployment(deployment)))["Version"]);
    }

    [Fact]
    public async Task IAmAlive_update_changes_only_that_silos_time_and_not_the_version()
    {
        var deployment = await NewDeploymentAsync();
        var silo = new Silo("10.3.0.1", 11111, 1, "silo", "host", 30000);
        var other = silo with { Generation = 2 };
        Assert.True(await BoolAsync("InsertMembershipKey", InsertArgs(deployment, silo, Active, T0, T0, version: 0)));
        Assert.True(await BoolAsync("InsertMembershipKey", InsertArgs(deployment, other, Active, T0, T0, version: 1)));

        var alive = T0.AddSeconds(30).AddTicks(1230); // microsecond precision survives the round trip
        Assert.Equal(1, await ExecuteAsync("UpdateIAmAlivetimeKey",
            [Deployment(deployment), .. SiloKey(silo), P("IAmAliveTime", alive, DbType.DateTime)]));

        var row = Assert.Single(await QueryAsync("MembershipReadRowKey", RowArgs(deployment, silo)));
        Assert.Equal(alive, row["IAmAliveTime"]);
        Assert.Equal(2, row["Version"]);
        Assert.Equal(Active, row["Status"]);
        Assert.Equal(T0, Assert.Single(await QueryAsync("MembershipReadRowKey", RowArgs(deployment, other)))["IAmAliveTime"]);
    }

    [Fact]
    public async Task Gateways_query_returns_only_active_silos_with_a_gateway_of_that_deployment()
    {
        var deployment = await NewDeploymentAsync();
        var active = new Silo("10.4.0.1", 11111, 7, "a", "h", 30001);
        var dead = new Silo("10.4.0.2", 11111, 7, "b", "h", 30002);
        var joining = new Silo("10.4.0.3", 11111, 7, "c", "h", 30003);
        var noGateway = new Silo("10.4.0.4", 11111, 7, "d", "h", 0);
        var version = 0;
        foreach (var (silo, status) in new[] { (active, Active), (dead, Dead), (joining, Joining), (noGateway, Active) })
            Assert.True(await BoolAsync("InsertMembershipKey", InsertArgs(deployment, silo, status, T0, T0, version++)));
        var elsewhere = await NewDeploymentAsync();
        Assert.True(await BoolAsync("InsertMembershipKey", InsertArgs(elsewhere, new Silo("10.4.0.9", 11111, 7, "e", "h", 30009), Active, T0, T0, 0)));

        var gateways = await QueryAsync("GatewaysQueryKey", Deployment(deployment), P("Status", Active, DbType.Int32));
        var gateway = Assert.Single(gateways);
        Assert.Equal("10.4.0.1", gateway["Address"]);
        Assert.Equal(30001, gateway["ProxyPort"]);
        Assert.Equal(7, gateway["Generation"]);
    }

    [Fact]
    public async Task Cleanup_deletes_only_dead_rows_silent_since_the_cutoff()
    {
        var deployment = await NewDeploymentAsync();
        var cutoff = T0.AddDays(-7);
        var deadOld = new Silo("10.5.0.1", 11111, 1, "dead-old", "h", 30000);
        var deadRecent = new Silo("10.5.0.2", 11111, 1, "dead-recent", "h", 30000);
        var activeOld = new Silo("10.5.0.3", 11111, 1, "active-old", "h", 30000);
        var joiningOld = new Silo("10.5.0.4", 11111, 1, "joining-old", "h", 30000);
        Assert.True(await BoolAsync("InsertMembershipKey", InsertArgs(deployment, deadOld, Dead, cutoff.AddDays(-1), cutoff.AddMinutes(-1), 0)));
        Assert.True(await BoolAsync("InsertMembershipKey", InsertArgs(deployment, deadRecent, Dead, cutoff.AddDays(-1), cutoff.AddMinutes(1), 1)));
        Assert.True(await BoolAsync("InsertMembershipKey", InsertArgs(deployment, activeOld, Active, cutoff.AddDays(-1), cutoff.AddMinutes(-1), 2)));
        Assert.True(await BoolAsync("InsertMembershipKey", InsertArgs(deployment, joiningOld, Joining, cutoff.AddDays(-1), cutoff.AddMinutes(-1), 3)));
        var elsewhere = await NewDeploymentAsync();
        Assert.True(await BoolAsync("InsertMembershipKey", InsertArgs(elsewhere, deadOld, Dead, cutoff.AddDays(-1), cutoff.AddMinutes(-1), 0)));

        // Only Dead (6): a silo still joining with an old heartbeat is not defunct.
        Assert.Equal(1, await ExecuteAsync("CleanupDefunctSiloEntriesKey", Deployment(deployment), P("IAmAliveTime", cutoff, DbType.DateTime)));

        var all = await QueryAsync("MembershipReadAllKey", Deployment(deployment));
        Assert.Equal(["active-old", "dead-recent", "joining-old"], all.Select(r => (string)r["SiloName"]!).Order(StringComparer.Ordinal));
        Assert.All(all, r => Assert.Equal(4, r["Version"]));
        Assert.Equal("dead-old", Assert.Single(await QueryAsync("MembershipReadAllKey", Deployment(elsewhere)))["SiloName"]);
    }

    [Fact]
    public async Task Delete_entries_removes_every_member_of_the_deployment_and_keeps_its_version()
    {
        var deployment = await NewDeploymentAsync();
        var elsewhere = await NewDeploymentAsync();
        for (var i = 0; i < 3; i++)
            Assert.True(await BoolAsync("InsertMembershipKey", InsertArgs(deployment, new Silo($"10.6.0.{i}", 11111, 1, $"s{i}", "h", 30000), Active, T0, T0, i)));
        Assert.True(await BoolAsync("InsertMembershipKey", InsertArgs(elsewhere, new Silo("10.6.1.1", 11111, 1, "x", "h", 30000), Active, T0, T0, 0)));

        Assert.Equal(3, await ExecuteAsync("DeleteMembershipTableEntriesKey", Deployment(deployment)));

        var row = Assert.Single(await QueryAsync("MembershipReadAllKey", Deployment(deployment)));
        Assert.Null(row["StartTime"]);
        Assert.Equal(3, row["Version"]);
        Assert.Equal("x", Assert.Single(await QueryAsync("MembershipReadAllKey", Deployment(elsewhere)))["SiloName"]);
        // The silos can join again from the version they read.
        Assert.True(await BoolAsync("InsertMembershipKey", InsertArgs(deployment, new Silo("10.6.0.0", 11111, 2, "s0", "h", 30000), Joining, T0, T0, 3)));
    }

    // ---- grain storage -------------------------------------------------------------------------

    [Fact]
    public async Task Storage_read_missing_insert_conflicting_insert_update_and_stale_update()
    {
        var grain = NewGrain();
        Assert.Empty(await QueryAsync("ReadFromStorageKey", grain.ReadArgs()));

        Assert.Equal(1, await WriteAsync(grain, version: null, payload: [1, 2, 3]));
        var row = Assert.Single(await QueryAsync("ReadFromStorageKey", grain.ReadArgs()));
        Assert.Equal(new byte[] { 1, 2, 3 }, (byte[]?)row["PayloadBinary"]);
        Assert.Equal(1, row["Version"]);

        // A second "first write" finds the row: conflict, payload kept.
        Assert.Null(await WriteAsync(grain, version: null, payload: [9]));
        Assert.Equal(new byte[] { 1, 2, 3 }, (byte[]?)Assert.Single(await QueryAsync("ReadFromStorageKey", grain.ReadArgs()))["PayloadBinary"]);

        Assert.Equal(2, await WriteAsync(grain, version: 1, payload: [4, 5]));
        // Stale version: conflict, payload and version kept.
        Assert.Null(await WriteAsync(grain, version: 1, payload: [6]));
        row = Assert.Single(await QueryAsync("ReadFromStorageKey", grain.ReadArgs()));
        Assert.Equal(new byte[] { 4, 5 }, (byte[]?)row["PayloadBinary"]);
        Assert.Equal(2, row["Version"]);

        // A version for a row that does not exist is a conflict, not an insert.
        var absent = NewGrain();
        Assert.Null(await WriteAsync(absent, version: 5, payload: [1]));
        Assert.Empty(await QueryAsync("ReadFromStorageKey", absent.ReadArgs()));
    }

    [Fact]
    public async Task Storage_identity_covers_service_state_name_both_key_halves_and_a_nullable_extension()
    {
        var grain = NewGrain(extension: null);
        var variants = new[]
        {
            grain with { Extension = "ext" },
            grain with { Extension = "" },
            grain with { ServiceId = NewId("service") },
            grain with { GrainType = "other-state" },
            grain with { N0 = grain.N0 + 1 },
            grain with { N1 = grain.N1 + 1 },
        };
        Assert.Equal(1, await WriteAsync(grain, null, [0]));
        for (var i = 0; i < variants.Length; i++)
            Assert.Equal(1, await WriteAsync(variants[i], null, [(byte)(i + 1)]));

        Assert.Equal(new byte[] { 0 }, (byte[]?)Assert.Single(await QueryAsync("ReadFromStorageKey", grain.ReadArgs()))["PayloadBinary"]);
        for (var i = 0; i < variants.Length; i++)
            Assert.Equal(new byte[] { (byte)(i + 1) }, (byte[]?)Assert.Single(await QueryAsync("ReadFromStorageKey", variants[i].ReadArgs()))["PayloadBinary"]);

        // Updating the null-extension row leaves the others alone.
        Assert.Equal(2, await WriteAsync(grain, 1, [7]));
        Assert.Equal(1, Assert.Single(await QueryAsync("ReadFromStorageKey", variants[0].ReadArgs()))["Version"]);

        // String keys: n0 = n1 = 0 and the whole key in the extension.
        var a = NewGrain(extension: "conv-a") with { N0 = 0, N1 = 0 };
        var b = a with { Extension = "conv-b" };
        Assert.Equal(1, await WriteAsync(a, null, [10]));
        Assert.Equal(1, await WriteAsync(b, null, [11]));
        Assert.Equal(new byte[] { 11 }, (byte[]?)Assert.Single(await QueryAsync("ReadFromStorageKey", b.ReadArgs()))["PayloadBinary"]);
    }

    [Fact]
    public async Task Concurrent_first_writes_insert_once()
    {
        var grain = NewGrain(extension: null);
        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => Task.Run(() => WriteAsync(grain, null, [(byte)i]))));
        Assert.Equal(1, results.Count(r => r == 1));
        Assert.Equal(7, results.Count(r => r is null));
        Assert.Single(await QueryAsync("ReadFromStorageKey", grain.ReadArgs()));
    }

    [Fact]
    public async Task Clear_returns_the_new_version_and_leaves_a_row_without_payload()
    {
        var grain = NewGrain();
        Assert.Equal(1, await WriteAsync(grain, null, [1, 2]));
        Assert.Equal(2, await WriteAsync(grain, 1, [3]));

        Assert.Equal(3, await FirstColumnAsync("ClearStorageKey", grain.VersionedArgs(2)));
        var row = Assert.Single(await QueryAsync("ReadFromStorageKey", grain.ReadArgs()));
        Assert.Null(row["PayloadBinary"]);
        Assert.Equal(3, row["Version"]);

        // Stale clear: one row with null in column 0 (a conflict for the provider), nothing changes.
        Assert.Null(await FirstColumnAsync("ClearStorageKey", grain.VersionedArgs(2)));
        Assert.Equal(3, Assert.Single(await QueryAsync("ReadFromStorageKey", grain.ReadArgs()))["Version"]);

        // After a clear the row still exists: a "first write" conflicts, a write from the read version works.
        Assert.Null(await WriteAsync(grain, null, [9]));
        Assert.Equal(4, await WriteAsync(grain, 3, [4]));
        Assert.Equal(new byte[] { 4 }, (byte[]?)Assert.Single(await QueryAsync("ReadFromStorageKey", grain.ReadArgs()))["PayloadBinary"]);
    }

    [Fact]
    public async Task Delete_removes_the_row_only_from_the_current_version()
    {
        var grain = NewGrain("ext");
        Assert.Equal(1, await WriteAsync(grain, null, [1]));

        Assert.Null(await FirstColumnAsync("DeleteStorageKey", grain.VersionedArgs(7)));
        Assert.Single(await QueryAsync("ReadFromStorageKey", grain.ReadArgs()));

        Assert.Equal(2, await FirstColumnAsync("DeleteStorageKey", grain.VersionedArgs(1)));
        Assert.Empty(await QueryAsync("ReadFromStorageKey", grain.ReadArgs()));
        // Gone for good: the next first write starts again at 1.
        Assert.Equal(1, await WriteAsync(grain, null, [2]));
    }

    // ---- reminders -----------------------------------------------------------------------------

    [Fact]
    public async Task Upsert_returns_a_version_that_changes_and_rows_read_back()
    {
        var service = NewId("service");
        var grainId = "conversation/acme-" + Guid.NewGuid().ToString("N");
        var v1 = await UpsertReminderAsync(service, grainId, "wake", T0, TimeSpan.FromMinutes(5), grainHash: -12345);
        var v2 = await UpsertReminderAsync(service, grainId, "wake", T0.AddHours(1), TimeSpan.FromMinutes(10), grainHash: -12345);
        Assert.NotEqual(v1, v2);
        await UpsertReminderAsync(service, grainId, "sweep", T0, TimeSpan.FromDays(30), grainHash: -12345);
        await UpsertReminderAsync(NewId("service"), grainId, "wake", T0, TimeSpan.FromMinutes(1), grainHash: -12345);

        var row = Assert.Single(await QueryAsync("ReadReminderRowKey", P("ServiceId", service, DbType.String),
            P("GrainId", grainId, DbType.AnsiString), P("ReminderName", "wake", DbType.String)));
        Assert.Equal(grainId, row["GrainId"]);
        Assert.Equal("wake", row["ReminderName"]);
        Assert.Equal(T0.AddHours(1), row["StartTime"]);
        Assert.Equal(600_000L, row["Period"]);
        Assert.Equal(v2, row["Version"]);

        var rows = await QueryAsync("ReadReminderRowsKey", P("ServiceId", service, DbType.String), P("GrainId", grainId, DbType.AnsiString));
        Assert.Equal(["sweep", "wake"], rows.Select(r => (string)r["ReminderName"]!).Order(StringComparer.Ordinal));
        // 30 days in milliseconds exceeds int: the provider binds it as long, and it reads back whole.
        Assert.Equal((long)TimeSpan.FromDays(30).TotalMilliseconds, rows.Single(r => (string)r["ReminderName"]! == "sweep")["Period"]);

        Assert.Empty(await QueryAsync("ReadReminderRowKey", P("ServiceId", service, DbType.String),
            P("GrainId", grainId, DbType.AnsiString), P("ReminderName", "missing", DbType.String)));
    }

    [Fact]
    public async Task Range_queries_compare_signed_hashes_and_the_second_wraps_around()
    {
        var service = NewId("service");
        int[] hashes = [int.MinValue, -1000, -999, -1, 0, 1000, 1001, int.MaxValue];
        foreach (var hash in hashes)
            await UpsertReminderAsync(service, $"g/{hash}", "r", T0, TimeSpan.FromMinutes(1), hash);
        await UpsertReminderAsync(NewId("service"), "g/other", "r", T0, TimeSpan.FromMinutes(1), 0);

        async Task<int[]> ReadRange(string key, uint begin, uint end) =>
            (await QueryAsync(key, P("ServiceId", service, DbType.String),
                P("BeginHash", unchecked((int)begin), DbType.Int32), P("EndHash", unchecked((int)end), DbType.Int32)))
            .Select(r => int.Parse(((string)r["GrainId"]!)[2..], System.Globalization.CultureInfo.InvariantCulture))
            .Order().ToArray();

        // begin < end (signed): begin < hash <= end.
        Assert.Equal(new[] { -999, -1, 0, 1000 }, await ReadRange("ReadRangeRows1Key", unchecked((uint)-1000), 1000));
        Assert.Equal(new[] { -1000 }, await ReadRange("ReadRangeRows1Key", unchecked((uint)int.MinValue), unchecked((uint)-1000)));
        // begin > end (signed), a range that wraps: hash > begin or hash <= end.
        Assert.Equal(new[] { int.MinValue, -1000, 1001, int.MaxValue }, await ReadRange("ReadRangeRows2Key", 1000, unchecked((uint)-1000)));
        // begin = end: the whole ring.
        Assert.Equal(hashes, await ReadRange("ReadRangeRows2Key", 5, 5));
    }

    [Fact]
    public async Task Delete_reminder_row_needs_the_current_version_and_delete_rows_clears_one_service()
    {
        var service = NewId("service");
        var other = NewId("service");
        var version = await UpsertReminderAsync(service, "g/1", "r", T0, TimeSpan.FromMinutes(1), 1);
        await UpsertReminderAsync(service, "g/2", "r", T0, TimeSpan.FromMinutes(1), 2);
        await UpsertReminderAsync(other, "g/1", "r", T0, TimeSpan.FromMinutes(1), 1);

        (string, object?, DbType)[] DeleteArgs(int v) =>
            [P("ServiceId", service, DbType.String), P("GrainId", "g/1", DbType.AnsiString), P("ReminderName", "r", DbType.String), P("Version", v, DbType.Int32)];
        Assert.False(await BoolAsync("DeleteReminderRowKey", DeleteArgs(version + 1)));
        Assert.Single(await QueryAsync("ReadReminderRowsKey", P("ServiceId", service, DbType.String), P("GrainId", "g/1", DbType.AnsiString)));
        Assert.True(await BoolAsync("DeleteReminderRowKey", DeleteArgs(version)));
        Assert.Empty(await QueryAsync("ReadReminderRowsKey", P("ServiceId", service, DbType.String), P("GrainId", "g/1", DbType.AnsiString)));
        Assert.False(await BoolAsync("DeleteReminderRowKey", DeleteArgs(version)));

        Assert.Equal(1, await ExecuteAsync("DeleteReminderRowsKey", P("ServiceId", service, DbType.String)));
        Assert.Empty(await QueryAsync("ReadReminderRowsKey", P("ServiceId", service, DbType.String), P("GrainId", "g/2", DbType.AnsiString)));
        Assert.Single(await QueryAsync("ReadReminderRowsKey", P("ServiceId", other, DbType.String), P("GrainId", "g/1", DbType.AnsiString)));
    }

    // ---- helpers -------------------------------------------------------------------------------

    private sealed record Silo(string Address, int Port, int Generation, string SiloName, string HostName, int ProxyPort);

    /// <summary>A grain state identity as the storage provider binds it.</summary>
    private sealed record Grain(string ServiceId, string GrainType, long N0, long N1, string? Extension)
    {
        public (string, object?, DbType)[] ReadArgs() =>
        [
            P("GrainIdHash", unchecked((int)(N0 ^ N1)), DbType.Int32),
            P("GrainIdN0", N0, DbType.Int64),
            P("GrainIdN1", N1, DbType.Int64),
            P("GrainTypeHash", GrainType.Length * -7919, DbType.Int32),
            P("GrainTypeString", GrainType, DbType.String),
            P("GrainIdExtensionString", Extension, DbType.String),
            P("ServiceId", ServiceId, DbType.String),
        ];

        public (string, object?, DbType)[] VersionedArgs(int? version) => [.. ReadArgs(), P("GrainStateVersion", version, DbType.Int32)];
    }

    private static Grain NewGrain(string? extension = null) =>
        new(NewId("service"), "conversation", Random.Shared.NextInt64(), Random.Shared.NextInt64(), extension);

    private static string NewId(string prefix) => $"{prefix}-{Guid.NewGuid():N}";

    private static (string, object?, DbType) P(string name, object? value, DbType type) => (name, value, type);

    private static (string, object?, DbType) Deployment(string id) => P("DeploymentId", id, DbType.String);

    private static (string, object?, DbType)[] SiloKey(Silo silo) =>
        [P("Address", silo.Address, DbType.AnsiString), P("Port", silo.Port, DbType.Int32), P("Generation", silo.Generation, DbType.Int32)];

    private static (string, object?, DbType)[] RowArgs(string deployment, Silo silo) => [Deployment(deployment), .. SiloKey(silo)];

    private static (string, object?, DbType)[] InsertArgs(string deployment, Silo silo, int status, DateTime start, DateTime alive, int version) =>
    [
        Deployment(deployment),
        P("IAmAliveTime", alive, DbType.DateTime),
        P("SiloName", silo.SiloName, DbType.String),
        P("HostName", silo.HostName, DbType.String),
        .. SiloKey(silo),
        P("StartTime", start, DbType.DateTime),
        P("Status", status, DbType.Int32),
        P("ProxyPort", silo.ProxyPort, DbType.Int32),
        P("Version", version, DbType.Int32),
    ];

    private static (string, object?, DbType)[] UpdateArgs(string deployment, Silo silo, int status, string? suspectTimes, DateTime alive, int version) =>
    [
        Deployment(deployment),
        .. SiloKey(silo),
        P("IAmAliveTime", alive, DbType.DateTime),
        P("Status", status, DbType.Int32),
        P("SuspectTimes", suspectTimes, DbType.String),
        P("Version", version, DbType.Int32),
    ];

    private async Task<string> NewDeploymentAsync()
    {
        var deployment = NewId("cluster");
        Assert.True(await BoolAsync("InsertMembershipVersionKey", Deployment(deployment)));
        return deployment;
    }

    private async Task<int?> WriteAsync(Grain grain, int? version, byte[] payload)
    {
        var row = Assert.Single(await QueryAsync("WriteToStorageKey", [.. grain.VersionedArgs(version), P("PayloadBinary", payload, DbType.Binary)]));
        return (int?)row["NewGrainStateVersion"];
    }

    private async Task<int> UpsertReminderAsync(string service, string grainId, string name, DateTime start, TimeSpan period, int grainHash)
    {
        // The provider binds the period as int when it fits and as long otherwise.
        var milliseconds = period.TotalMilliseconds;
        var periodArg = milliseconds <= int.MaxValue ? P("Period", (int)milliseconds, DbType.Int32) : P("Period", (long)milliseconds, DbType.Int64);
        var row = Assert.Single(await QueryAsync("UpsertReminderRowKey",
            P("ServiceId", service, DbType.String), P("GrainHash", grainHash, DbType.Int32), P("GrainId", grainId, DbType.AnsiString),
            P("ReminderName", name, DbType.String), P("StartTime", start, DbType.DateTime), periodArg));
        return Convert.ToInt32(row["Version"], System.Globalization.CultureInfo.InvariantCulture);
    }

    private NpgsqlCommand Command(string key, (string Name, object? Value, DbType Type)[] args)
    {
        var command = fixture.DataSource.CreateCommand(fixture.Queries[key]);
        foreach (var (name, value, type) in args)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = name;
            parameter.Value = value ?? DBNull.Value;
            parameter.DbType = type;
            command.Parameters.Add(parameter);
        }
        return command;
    }

    /// <summary>Every row, by column name (exactly as aliased), with DBNull as null.</summary>
    private async Task<List<Dictionary<string, object?>>> QueryAsync(string key, params (string, object?, DbType)[] args)
    {
        await using var command = Command(key, args);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<Dictionary<string, object?>>();
        while (await reader.ReadAsync())
        {
            var row = new Dictionary<string, object?>(StringComparer.Ordinal);
            for (var i = 0; i < reader.FieldCount; i++) row.Add(reader.GetName(i), reader.IsDBNull(i) ? null : reader.GetValue(i));
            rows.Add(row);
        }
        return rows;
    }

    /// <summary>As the providers read a boolean answer: the first row, which must have exactly one column.</summary>
    private async Task<bool> BoolAsync(string key, params (string, object?, DbType)[] args)
    {
        var row = Assert.Single(await QueryAsync(key, args));
        return Convert.ToBoolean(Assert.Single(row.Values), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>As the storage provider reads clear and delete: column 0 of the single row.</summary>
    private async Task<object?> FirstColumnAsync(string key, params (string, object?, DbType)[] args)
    {
        await using var command = Command(key, args);
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        var value = reader.IsDBNull(0) ? null : reader.GetValue(0);
        Assert.False(await reader.ReadAsync());
        return value;
    }

    private async Task<int> ExecuteAsync(string key, params (string, object?, DbType)[] args)
    {
        await using var command = Command(key, args);
        return await command.ExecuteNonQueryAsync();
    }
}
