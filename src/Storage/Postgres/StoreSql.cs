namespace Conversations.Storage.Postgres;

/// <summary>The SQL of <see cref="PostgresConversationStore"/>. Every statement runs alone (one round trip, autocommit).</summary>
internal static class StoreSql
{
    // Group commit of many appends: $1 request index per row, $2 tenant, $3 conversation, $4 dedupe
    // key, $5 type, $6 body, $7 trace parent. Rows go in argument order. Each conversation's head row is locked (in key
    // order, so two batches cannot deadlock) and hands out the next sequences; a dedupe key already
    // stored, or stored concurrently, is dropped (its sequence is skipped, which no cursor minds).
    // Returns per request: rows appended, rows offered, the highest sequence appended.
    public const string AppendBatch = """
        with m as (
          select * from unnest($1::int[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bytea[], $7::text[])
            with ordinality as m(req, tenant, conversation_id, dedupe_key, type, body, trace_parent, ord)),
        fresh as (
          select m.* from m where not exists (
            select 1 from inbox i where i.tenant = m.tenant and i.conversation_id = m.conversation_id and i.dedupe_key = m.dedupe_key)),
        counts as (
          select tenant, conversation_id, count(*) as n from fresh group by tenant, conversation_id),
        heads as (
          insert into inbox_head as h (tenant, conversation_id, last_seq)
          select tenant, conversation_id, n from counts order by tenant, conversation_id
          on conflict (tenant, conversation_id) do update set last_seq = h.last_seq + excluded.last_seq
          returning h.tenant, h.conversation_id, h.last_seq),
        numbered as (
          select f.*, h.last_seq - c.n + row_number() over (partition by f.tenant, f.conversation_id order by f.ord) as seq
          from fresh f
          join counts c on c.tenant = f.tenant and c.conversation_id = f.conversation_id
          join heads h on h.tenant = f.tenant and h.conversation_id = f.conversation_id),
        ins as (
          insert into inbox (tenant, conversation_id, seq, dedupe_key, type, body, trace_parent)
          select tenant, conversation_id, seq, dedupe_key, type, body, trace_parent from numbered order by ord
          on conflict (tenant, conversation_id, dedupe_key) do nothing
          returning tenant, conversation_id, dedupe_key, seq)
        select m.req, count(ins.seq)::int, count(*)::int, coalesce(max(ins.seq), 0)
        from m left join ins on ins.tenant = m.tenant and ins.conversation_id = m.conversation_id and ins.dedupe_key = m.dedupe_key
        group by m.req
        """;

    // $1 tenant, $2 conversation, $3 after sequence, $4 max.
    public const string ReadAfter = """
        select seq, dedupe_key, type, body, received_at, trace_parent from inbox
        where tenant = $1 and conversation_id = $2 and seq > $3
        order by seq limit $4
        """;

    // The inbox lag: the partial index on unconsumed events finds the oldest at once.
    public const string OldestUnconsumedAge = "select clock_timestamp() - min(received_at) from inbox where consumed_at is null";

    public const string CountAfter = """
        select count(*)::int from inbox where tenant = $1 and conversation_id = $2 and seq > $3
        """;

    // $1 tenant, $2 conversation, $3 up to sequence.
    public const string MarkConsumed = """
        update inbox set consumed_at = clock_timestamp()
        where tenant = $1 and conversation_id = $2 and seq <= $3 and consumed_at is null
        """;

    // The re-drive: conversations with events unconsumed for longer than $1, oldest first.
    public const string FindUnconsumed = """
        select tenant, conversation_id from inbox
        where consumed_at is null and received_at < clock_timestamp() - $1
        group by tenant, conversation_id order by min(received_at) limit $2
        """;

    // $1 tenant, $2 conversation, $3 action id, $4 kind, $5 payload, $6 attempts, $7 error.
    public const string Park = """
        insert into parked_action (tenant, conversation_id, action_id, kind, payload, attempts, last_error)
        values ($1, $2, $3, $4, $5, $6, $7)
        on conflict (tenant, conversation_id, action_id) do nothing
        """;

    private const string ParkedColumns = "action_id, kind, payload, attempts, parked_at, last_error";

    public const string ReadParked = $"""
        select tenant, conversation_id, {ParkedColumns} from parked_action order by parked_at desc, action_id desc limit $1
        """;

    public const string ReadConversationParked = $"""
        select {ParkedColumns} from parked_action where tenant = $1 and conversation_id = $2 order by action_id
        """;

    // $1 tenant, $2 conversation, $3 mode, $4 handoff reason, $5 last activity, $6 updated.
    public const string UpsertDirectory = """
        insert into conversation_directory (tenant, conversation_id, mode, handoff_reason, last_activity_at, updated_at)
        values ($1, $2, $3, $4, $5, $6)
        on conflict (tenant, conversation_id) do update set mode = excluded.mode, handoff_reason = excluded.handoff_reason,
          last_activity_at = excluded.last_activity_at, updated_at = excluded.updated_at
        """;

    // $1 tenant, $2 mode, $3 reason, $4 active since (each null: any), $5 page size, $6 offset. One row
    // per entry of the page, each with the total; a single row of nulls and the total when the page is empty.
    public const string ListConversations = """
        with f as (
          select tenant, conversation_id, mode, handoff_reason, last_activity_at, updated_at from conversation_directory
          where ($1::text is null or tenant = $1) and ($2::text is null or mode = $2)
            and ($3::text is null or handoff_reason = $3) and ($4::timestamptz is null or last_activity_at >= $4))
        select t.total, p.tenant, p.conversation_id, p.mode, p.handoff_reason, p.last_activity_at, p.updated_at
        from (select count(*)::int as total from f) t
        left join lateral (select * from f order by last_activity_at desc, tenant, conversation_id limit $5 offset $6) p on true
        order by p.last_activity_at desc, p.tenant, p.conversation_id
        """;

    public const string RemoveParked = "delete from parked_action where tenant = $1 and conversation_id = $2 and action_id = $3";

    public const string SetValue = """
        insert into tenant_value (tenant, name, value) values ($1, $2, $3)
        on conflict (tenant, name) do update set value = excluded.value
        """;

    public const string GetValue = "select value from tenant_value where tenant = $1 and name = $2";

    // Retention: bounded batches so no sweep holds locks or a snapshot for long. $1 = window, $2 = batch.
    // now() (stable, unlike clock_timestamp()) lets the partial index find the oldest rows, and
    // "= any(array(...))" deletes them by primary key instead of a hash join over the whole table.
    public const string DeleteOldInbox = """
        delete from inbox where id = any(array(
          select id from inbox where consumed_at < now() - $1 order by consumed_at limit $2))
        """;

    // Only one process sweeps at a time; the others skip the round.
    public const string TryRetentionLock = "select pg_try_advisory_lock(4850316352727445248)";
    public const string RetentionUnlock = "select pg_advisory_unlock(4850316352727445248)";
}
