-- Conversations runtime schema, version 1. Applied once by PostgresSchemaMigrator under an advisory lock.
-- Tables are the truth; NOTIFY only wakes things up.

-- One sequence for silo incarnations, shard epochs and coordinator terms: every ownership change
-- takes a strictly larger number (I2).
create sequence fence_seq;

-- The shard count is fixed for the life of a cluster; silos refuse to start with another one.
create table cluster_config (
  name  text primary key,
  value text not null
);

-- Membership. status: 2 active, 3 draining, 4 dead. lease_until is in database time only.
create table silo (
  incarnation bigint primary key default nextval('fence_seq'),
  host        text not null,
  status      smallint not null,
  lease_until timestamptz not null,
  joined_at   timestamptz not null default clock_timestamp(),
  heartbeat_at timestamptz not null default clock_timestamp()
) with (fillfactor = 70);

-- Shard leases. owner null = unowned (the coordinator assigns it). epoch is the fence of the owner.
create table shard (
  shard_id         int primary key,
  owner            bigint references silo on delete set null,
  epoch            bigint not null default 0,
  handoff_to       bigint references silo on delete set null,
  handoff_deadline timestamptz
) with (fillfactor = 70);
create index shard_owner on shard (owner);

-- Coordinator election (River style): one row, re-elected only by its holder within its term.
create table coordinator (
  name       text primary key,
  holder     bigint not null,
  term       bigint not null,
  expires_at timestamptz not null
);

-- Committed state of each conversation: fence = highest epoch that claimed it (I3, I4).
create table conversation (
  tenant          text not null,
  conversation_id text not null,
  shard_id        int not null,
  fence           bigint not null,
  version         bigint not null,
  state           bytea not null,
  primary key (tenant, conversation_id)
) with (fillfactor = 80);

-- Inbox: id orders a conversation's events (I7); the dedupe key takes effect at most once (I6)
-- while the row is kept (the retention sweep deletes processed rows after the dedupe window).
create table inbox (
  id              bigint generated always as identity primary key,
  shard_id        int not null,
  tenant          text not null,
  conversation_id text not null,
  dedupe_key      text not null,
  type            text not null,
  body            bytea not null,
  received_at     timestamptz not null default clock_timestamp(),
  processed_at    timestamptz,
  unique (tenant, conversation_id, dedupe_key)
) with (fillfactor = 90);
create index inbox_pending_by_shard on inbox (shard_id, id) where processed_at is null;
create index inbox_pending_by_conversation on inbox (tenant, conversation_id, id) where processed_at is null;
create index inbox_processed on inbox (processed_at) where processed_at is not null;

-- Outbox: status 0 pending, 1 sent, 2 parked. next_attempt_at null = due now (new rows, so that a
-- silo's clock cannot delay them). fence records the epoch of the turn that wrote the row.
create table outbox (
  id              bigint generated always as identity primary key,
  shard_id        int not null,
  tenant          text not null,
  conversation_id text not null,
  fence           bigint not null,
  kind            text not null,
  payload         bytea not null,
  status          smallint not null default 0,
  attempts        int not null default 0,
  created_at      timestamptz not null default clock_timestamp(),
  next_attempt_at timestamptz,
  last_error      text,
  finished_at     timestamptz
) with (fillfactor = 90);
create index outbox_pending_by_shard on outbox (shard_id, next_attempt_at) where status = 0;
create index outbox_by_conversation on outbox (tenant, conversation_id, id);
create index outbox_parked on outbox (id) where status = 2;
create index outbox_sent on outbox (finished_at) where status = 1;

-- A small durable key/value map per tenant.
create table tenant_value (
  tenant text not null,
  name   text not null,
  value  text not null,
  primary key (tenant, name)
);

-- Hot, update-heavy tables: vacuum early so dead tuples never pile up behind the pending indexes.
alter table inbox set (autovacuum_vacuum_scale_factor = 0.02, autovacuum_vacuum_threshold = 1000,
  autovacuum_analyze_scale_factor = 0.02, autovacuum_vacuum_insert_scale_factor = 0.05);
alter table outbox set (autovacuum_vacuum_scale_factor = 0.02, autovacuum_vacuum_threshold = 1000,
  autovacuum_analyze_scale_factor = 0.02, autovacuum_vacuum_insert_scale_factor = 0.05);
alter table conversation set (autovacuum_vacuum_scale_factor = 0.05, autovacuum_vacuum_threshold = 500);
alter table silo set (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 100);
alter table shard set (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 200);
alter table coordinator set (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 50);
