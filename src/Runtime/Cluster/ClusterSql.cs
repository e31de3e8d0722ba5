namespace Conversations.Runtime.Cluster;

/// <summary>
/// The SQL of membership, shard leases and the coordinator. Time is always the database's
/// clock_timestamp(); every coordinator write carries the leader guard, so a stale leader changes nothing.
/// </summary>
internal static class ClusterSql
{
    public const string ClusterChannel = "conversations_cluster";

    // $1 shard count. The first silo fixes the count; every later process must agree.
    public const string FixShardCount = """
        with ins as (insert into cluster_config (name, value) values ('shard_count', $1::text) on conflict (name) do nothing)
        select value::int from cluster_config where name = 'shard_count'
        union all select $1 where not exists (select 1 from cluster_config where name = 'shard_count')
        """;

    public const string CreateShards = "insert into shard (shard_id) select generate_series(0, $1 - 1) on conflict (shard_id) do nothing";

    // $1 host, $2 ttl.
    public const string Join = """
        insert into silo (host, status, lease_until) values ($1, 2, clock_timestamp() + $2) returning incarnation
        """;

    // Renew (only a live lease can be renewed: an expired or dead silo must rejoin) and read the
    // shards owned, in one round trip. $1 incarnation, $2 ttl. Row 1 column 1 = renewed (0/1).
    public const string Heartbeat = """
        with renewed as (
          update silo set lease_until = clock_timestamp() + $2, heartbeat_at = clock_timestamp()
          where incarnation = $1 and status in (2, 3) and lease_until > clock_timestamp()
          returning incarnation)
        select (select count(*)::int from renewed),
               coalesce(array_agg(s.shard_id order by s.shard_id), '{}'),
               coalesce(array_agg(s.epoch order by s.shard_id), '{}'),
               coalesce(array_agg(coalesce(s.handoff_to, 0) order by s.shard_id), '{}')
        from shard s where s.owner = $1 and exists (select 1 from renewed)
        """;

    public const string SetDraining = "update silo set status = 3 where incarnation = $1 and status = 2";

    public const string Leave = "delete from silo where incarnation = $1";

    // Active silos other than $1 with their shard counts (drain targets).
    public const string ActiveSilos = """
        select t.incarnation, (select count(*)::int from shard s where s.owner = t.incarnation)
        from silo t where t.status = 2 and t.lease_until > clock_timestamp() and t.incarnation <> $1
        order by t.incarnation
        """;

    private const string TargetAlive = "exists (select 1 from silo t where t.incarnation = a.target and t.status = 2 and t.lease_until > clock_timestamp())";

    // The owner hands shards over (handoff or drain): $1 me, $2 shards, $3 targets, $4 require the
    // coordinator's pending handoff to that target (true) or not (drain). Returns what moved.
    public const string Release = $"""
        update shard s set owner = a.target, epoch = nextval('fence_seq'), handoff_to = null, handoff_deadline = null
        from unnest($2::int[], $3::bigint[]) as a(shard_id, target)
        where s.shard_id = a.shard_id and s.owner = $1
          and (not $4 or s.handoff_to = a.target)
          and {TargetAlive}
        returning s.shard_id, s.owner, s.epoch
        """;

    // Release to nobody (end of drain, or a handoff whose target died): the coordinator reassigns at once.
    public const string Abandon = """
        update shard set owner = null, epoch = nextval('fence_seq'), handoff_to = null, handoff_deadline = null
        where owner = $1 and shard_id = any($2)
        returning shard_id
        """;

    public const string Notify = "select pg_notify('conversations_cluster', $1)";

    // ---- coordinator ----

    // Elect, or re-elect keeping the term. Only a live, active silo can hold it. $1 me, $2 ttl.
    public const string Elect = """
        insert into coordinator as c (name, holder, term, expires_at)
        select 'leader', $1, nextval('fence_seq'), clock_timestamp() + $2
        where exists (select 1 from silo where incarnation = $1 and status = 2 and lease_until > clock_timestamp())
        on conflict (name) do update set
          holder = excluded.holder,
          term = case when c.holder = excluded.holder and c.expires_at > clock_timestamp() then c.term else excluded.term end,
          expires_at = excluded.expires_at
        where c.holder = excluded.holder or c.expires_at <= clock_timestamp()
        returning term
        """;

    public const string Resign = "delete from coordinator where name = 'leader' and holder = $1 and term = $2";

    // $1 me, $2 term: appended to every coordinator write.
    private const string LeaderGuard = "exists (select 1 from coordinator l where l.name = 'leader' and l.holder = $1 and l.term = $2 and l.expires_at > clock_timestamp())";

    // A silo whose lease expired more than grace ago is dead: it can never renew again. $3 grace.
    public const string MarkDead = $"""
        update silo set status = 4 where status in (2, 3) and lease_until < clock_timestamp() - $3 and {LeaderGuard}
        returning incarnation
        """;

    public const string DeleteDead = $"""
        delete from silo where status = 4 and lease_until < clock_timestamp() - $3 and {LeaderGuard}
        """;

    // The coordinator's view. Silos: incarnation, status, seconds since the last heartbeat, lease valid.
    public const string ReadSilos = """
        select incarnation, status, extract(epoch from clock_timestamp() - heartbeat_at)::float8, lease_until > clock_timestamp()
        from silo order by incarnation
        """;

    // Shards: id, owner (0 = none), owner dead or missing, handoff target (0 = none), handoff overdue.
    public const string ReadShards = """
        select s.shard_id, coalesce(s.owner, 0),
               s.owner is null or coalesce(o.status, 4) = 4,
               coalesce(s.handoff_to, 0), coalesce(s.handoff_deadline < clock_timestamp(), false)
        from shard s left join silo o on o.incarnation = s.owner order by s.shard_id
        """;

    // Orphans to live silos, only while still orphaned. $3 shards, $4 targets.
    public const string AssignOrphans = $"""
        update shard s set owner = a.target, epoch = nextval('fence_seq'), handoff_to = null, handoff_deadline = null
        from unnest($3::int[], $4::bigint[]) as a(shard_id, target)
        where s.shard_id = a.shard_id
          and (s.owner is null or exists (select 1 from silo d where d.incarnation = s.owner and d.status = 4))
          and {TargetAlive} and {LeaderGuard}
        returning s.shard_id
        """;

    // Ask owners to hand shards over. $3 shards, $4 current owners, $5 targets, $6 deadline.
    public const string RequestHandoffs = $"""
        update shard s set handoff_to = a.target, handoff_deadline = clock_timestamp() + $6
        from unnest($3::int[], $4::bigint[], $5::bigint[]) as a(shard_id, source, target)
        where s.shard_id = a.shard_id and s.owner = a.source and s.handoff_to is null
          and {TargetAlive} and {LeaderGuard}
        returning s.shard_id
        """;

    // A handoff whose target is no longer an active live silo is cancelled (the owner keeps the shard).
    public const string CancelHandoffs = $"""
        update shard s set handoff_to = null, handoff_deadline = null
        where s.handoff_to is not null
          and not exists (select 1 from silo t where t.incarnation = s.handoff_to and t.status = 2 and t.lease_until > clock_timestamp())
          and {LeaderGuard}
        returning s.shard_id
        """;

    // A handoff the owner did not complete by its deadline is forced (Akka #7500): the old owner's
    // late release then matches nothing.
    public const string ForceHandoffs = $"""
        update shard s set owner = s.handoff_to, epoch = nextval('fence_seq'), handoff_to = null, handoff_deadline = null
        where s.handoff_to is not null and s.handoff_deadline < clock_timestamp()
          and exists (select 1 from silo t where t.incarnation = s.handoff_to and t.status = 2 and t.lease_until > clock_timestamp())
          and {LeaderGuard}
        returning s.shard_id
        """;
}
