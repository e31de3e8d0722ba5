-- The conversation directory: one row per conversation, written by its grain after each turn, so
-- that operators can list and filter conversations (grain state is opaque to SQL).
create table conversation_directory (
  tenant           text not null,
  conversation_id  text not null,
  mode             text,
  handoff_reason   text,
  last_activity_at timestamptz not null,
  updated_at       timestamptz not null,
  primary key (tenant, conversation_id)
);

-- Newest first, overall and within a tenant; the mode and reason filters narrow a newest-first scan.
create index conversation_directory_activity on conversation_directory (last_activity_at desc);
create index conversation_directory_tenant_activity on conversation_directory (tenant, last_activity_at desc);
create index conversation_directory_mode_activity on conversation_directory (mode, last_activity_at desc);
create index conversation_directory_reason_activity on conversation_directory (handoff_reason, last_activity_at desc) where handoff_reason is not null;
