-- The actors run on Orleans now: membership, shard leases, the coordinator, conversation state and
-- pending actions are Orleans' (the cluster and grain state). What stays is the inbox, with a
-- sequence per conversation that the grain's cursor follows, and the parked actions operators see.
-- Unconsumed inbox events survive the upgrade and are re-driven; the old runtime's conversation
-- state and unsent actions do not (conversations start a new bot episode).

drop table coordinator;
drop table shard;
drop table silo;
drop table cluster_config;
drop sequence fence_seq;
drop table conversation;

create table parked_action (
  tenant          text not null,
  conversation_id text not null,
  action_id       bigint not null,
  kind            text not null,
  payload         bytea not null,
  attempts        int not null,
  last_error      text,
  parked_at       timestamptz not null default clock_timestamp(),
  primary key (tenant, conversation_id, action_id)
);
create index parked_action_recent on parked_action (parked_at desc);
-- Negative ids: the grains number their actions from 1 again, and the old ids must neither collide
-- with theirs nor list after them.
insert into parked_action (tenant, conversation_id, action_id, kind, payload, attempts, last_error, parked_at)
  select tenant, conversation_id, -id, kind, payload, attempts, last_error, coalesce(finished_at, created_at)
  from outbox where status = 2;
drop table outbox;

-- Sequences are per conversation and given under the conversation's head row lock, so they grow in
-- commit order: a cursor never skips a late commit (a global identity would, by commit-order gaps).
-- Rows the old runtime had processed get negative sequences, below every cursor.
alter table inbox add column seq bigint;
update inbox set seq = case when processed_at is null then id else -id end;
alter table inbox alter column seq set not null;
alter table inbox rename column processed_at to consumed_at;
alter table inbox drop column shard_id;
drop index if exists inbox_pending_by_conversation;
create unique index inbox_by_sequence on inbox (tenant, conversation_id, seq);
create index inbox_unconsumed_by_conversation on inbox (tenant, conversation_id, seq) where consumed_at is null;
create index inbox_unconsumed on inbox (received_at) where consumed_at is null;

create table inbox_head (
  tenant          text not null,
  conversation_id text not null,
  last_seq        bigint not null,
  primary key (tenant, conversation_id)
) with (fillfactor = 70);
insert into inbox_head (tenant, conversation_id, last_seq)
  select tenant, conversation_id, max(id) from inbox group by tenant, conversation_id;
alter table inbox_head set (autovacuum_vacuum_scale_factor = 0.02, autovacuum_vacuum_threshold = 1000);
