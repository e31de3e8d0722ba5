namespace Conversations.Runtime.Store.Postgres;

/// <summary>The SQL of <see cref="PostgresConversationStore"/>. Every statement runs alone (one round trip, autocommit).</summary>
internal static class StoreSql
{
    public const string WakeChannel = "conversations_wake";

    // $1 tenant, $2 conversation, $3 shard, $4 dedupe keys, $5 types, $6 bodies, $7 notify payload (null = no notify).
    // Rows go in argument order, so ids follow it (I7). A key seen before is dropped (I6).
    public const string Append = """
        with ins as (
          insert into inbox (shard_id, tenant, conversation_id, dedupe_key, type, body)
          select $3, $1, $2, m.dedupe_key, m.type, m.body
          from unnest($4::text[], $5::text[], $6::bytea[]) with ordinality as m(dedupe_key, type, body, ord)
          order by m.ord
          on conflict (tenant, conversation_id, dedupe_key) do nothing
          returning 1),
        n as (select count(*)::int as appended from ins)
        select n.appended, (select count(*) from (select pg_notify('conversations_wake', $7) where n.appended > 0 and $7 is not null) x)
        from n
        """;

    // Group commit of many appends: $1 request index per row, $2 shard, $3 tenant, $4 conversation,
    // $5 dedupe key, $6 type, $7 body, $8 wake payload (null = no notify). Rows go in argument order.
    // Returns per request: rows appended, rows offered. One NOTIFY per conversation that got rows.
    public const string AppendBatch = """
        with m as (
          select * from unnest($1::int[], $2::int[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bytea[], $8::text[])
            with ordinality as m(req, shard_id, tenant, conversation_id, dedupe_key, type, body, payload, ord)),
        ins as (
          insert into inbox (shard_id, tenant, conversation_id, dedupe_key, type, body)
          select shard_id, tenant, conversation_id, dedupe_key, type, body from m order by ord
          on conflict (tenant, conversation_id, dedupe_key) do nothing
          returning tenant, conversation_id, dedupe_key),
        joined as (
          select m.req, m.payload, ins.dedupe_key is not null as appended
          from m left join ins on ins.tenant = m.tenant and ins.conversation_id = m.conversation_id and ins.dedupe_key = m.dedupe_key),
        notified as (
          select pg_notify('conversations_wake', p.payload) from (select distinct payload from joined where appended and payload is not null) p)
        select req, count(*) filter (where appended)::int, count(*)::int, (select count(*) from notified)
        from joined group by req
        """;

    // Claim before load (I4): stamps the fence unless a newer one holds the conversation or its shard.
    // $1 tenant, $2 conversation, $3 shard, $4 fence.
    public const string Activate = """
        insert into conversation as c (tenant, conversation_id, shard_id, fence, version, state)
        select $1, $2, $3, $4, 0, ''::bytea
        where not exists (select 1 from shard where shard_id = $3 and epoch > $4)
        on conflict (tenant, conversation_id) do update set fence = excluded.fence
          where c.fence <= excluded.fence
        returning c.version, c.state
        """;

    public const string ReadPending = """
        select id, dedupe_key, type, body, received_at from inbox
        where tenant = $1 and conversation_id = $2 and processed_at is null
        order by id limit $3
        """;

    // One statement: state (fenced by the conversation's fence and its shard's current epoch, I3),
    // consumed inbox rows, new outbox rows in order (I5). $1 tenant, $2 conversation, $3 fence,
    // $4 expected version, $5 new state (null keeps it), $6 shard, $7 consumed ids, $8 kinds, $9 payloads.
    public const string CommitTurn = """
        with c as (
          update conversation set version = version + 1, state = coalesce($5, state)
          where tenant = $1 and conversation_id = $2 and fence = $3 and version = $4
            and not exists (select 1 from shard where shard_id = $6 and epoch > $3)
          returning version),
        i as (
          update inbox set processed_at = clock_timestamp()
          where tenant = $1 and conversation_id = $2 and id = any($7) and processed_at is null
            and exists (select 1 from c)),
        o as (
          insert into outbox (shard_id, tenant, conversation_id, fence, kind, payload)
          select $6, $1, $2, $3, a.kind, a.payload
          from unnest($8::text[], $9::bytea[]) with ordinality as a(kind, payload, ord)
          where exists (select 1 from c)
          order by a.ord
          returning id)
        select (select version from c),
               array(select id from o order by id),
               (select fence from conversation where tenant = $1 and conversation_id = $2),
               (select epoch from shard where shard_id = $6)
        """;

    private const string OutboxColumns = "id, kind, payload, status, attempts, coalesce(next_attempt_at, created_at), last_error";

    public const string ReadOutbox = $"""
        select {OutboxColumns} from outbox
        where tenant = $1 and conversation_id = $2 and status = 0 order by id
        """;

    // $1 tenant, $2 conversation, $3 id, $4 kind (1 sent, 2 parked, 0 retry), $5 next attempt, $6 error.
    public const string MarkOutbox = """
        update outbox set
          attempts = attempts + 1,
          status = $4,
          next_attempt_at = case when $4 = 0 then $5 else next_attempt_at end,
          last_error = $6,
          finished_at = case when $4 = 0 then null else clock_timestamp() end
        where id = $3 and tenant = $1 and conversation_id = $2 and status = 0
        """;

    // Conversations whose oldest pending action is due (sends go in id order per conversation).
    public const string FindDueOutbox = """
        select tenant, conversation_id from (
          select distinct on (tenant, conversation_id) tenant, conversation_id, id, next_attempt_at
          from outbox where status = 0 and ($2::int[] is null or shard_id = any($2))
          order by tenant, conversation_id, id) first_pending
        where next_attempt_at is null or next_attempt_at <= $1
        order by id limit $3
        """;

    public const string FindPendingInbox = """
        select tenant, conversation_id from inbox
        where processed_at is null and ($1::int[] is null or shard_id = any($1))
        group by tenant, conversation_id order by min(id) limit $2
        """;

    // The polling fallback: only events pending longer than $2 (fresher ones are the NOTIFY path's).
    public const string FindStalePendingInbox = """
        select tenant, conversation_id from inbox
        where processed_at is null and shard_id = any($1) and received_at < clock_timestamp() - $2
        group by tenant, conversation_id order by min(id) limit $3
        """;

    public const string ReadParked = $"""
        select tenant, conversation_id, {OutboxColumns} from outbox
        where status = 2 order by id desc limit $1
        """;

    public const string ReadConversation = """
        select version, fence, state,
          (select count(*)::int from inbox i where i.tenant = $1 and i.conversation_id = $2 and i.processed_at is null)
        from conversation where tenant = $1 and conversation_id = $2
        """;

    public const string ReadPendingCount = """
        select count(*)::int from inbox where tenant = $1 and conversation_id = $2 and processed_at is null
        """;

    // Pending and parked actions, and the most recent sent ones.
    public const string ReadConversationOutbox = $"""
        (select {OutboxColumns} from outbox where tenant = $1 and conversation_id = $2 and status <> 1)
        union all
        (select {OutboxColumns} from outbox where tenant = $1 and conversation_id = $2 and status = 1 order by id desc limit $3)
        order by 1
        """;

    public const string SetValue = """
        insert into tenant_value (tenant, name, value) values ($1, $2, $3)
        on conflict (tenant, name) do update set value = excluded.value
        """;

    public const string GetValue = "select value from tenant_value where tenant = $1 and name = $2";

    // Retention: bounded batches so no sweep holds locks or a snapshot for long. $1 = window, $2 = batch.
    // now() (stable, unlike clock_timestamp()) lets the partial indexes find the oldest rows, and
    // "= any(array(...))" deletes them by primary key; "in (select ...)" planned a hash join over the
    // whole table per batch, too slow to keep up with 1,000 messages/s once a backlog formed.
    public const string DeleteOldInbox = """
        delete from inbox where id = any(array(
          select id from inbox where processed_at < now() - $1 order by processed_at limit $2))
        """;

    public const string DeleteOldOutbox = """
        delete from outbox where id = any(array(
          select id from outbox where status = 1 and finished_at < now() - $1 order by finished_at limit $2))
        """;
}
