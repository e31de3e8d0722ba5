-- Orleans ADO.NET providers (clustering, grain storage, reminders) with Invariant "Npgsql".
-- The providers ship no SQL: at start they read orleansquery once and then run each text by key,
-- binding parameters by name (@Name). Result columns are aliased to the names the providers read.
-- Several clusters and services share this database: every key starts with the deployment (cluster)
-- id or the service id. Times arrive as UTC DateTime (DbType.DateTime), which Npgsql sends as timestamptz.

-- Membership concurrency is one version per deployment, not per row: every insert or update of a
-- member must bump it from the version the silo last read, in the same statement.
create table orleans_membership_version (
  deployment_id text primary key,
  version       int not null default 0
);

-- address is text: the providers send it as a string and parse it back with IPAddress.Parse.
-- suspect_times is the providers' own "silo,time|silo,time" string, stored as given.
create table orleans_membership (
  deployment_id   text not null references orleans_membership_version on delete cascade,
  address         text not null,
  port            int not null,
  generation      int not null,
  silo_name       text not null,
  host_name       text not null,
  status          int not null,
  proxy_port      int not null,
  suspect_times   text,
  start_time      timestamptz not null,
  i_am_alive_time timestamptz not null,
  primary key (deployment_id, address, port, generation)
) with (fillfactor = 70);

-- grain_type receives the state name given to [PersistentState], not the grain class. The key
-- extension is null for plain integer and guid keys and holds the whole key for string keys, so
-- null and '' must stay distinct yet unique: nulls not distinct (PostgreSQL 15). The constraint is
-- what stops two concurrent first writes from both inserting. The providers' hashes are not stored:
-- the identity itself is the key.
create table orleans_storage (
  service_id         text not null,
  grain_type         text not null,
  grain_id_n0        bigint not null,
  grain_id_n1        bigint not null,
  grain_id_extension text,
  payload            bytea,
  version            int not null,
  modified_at        timestamptz not null default clock_timestamp(),
  constraint orleans_storage_identity unique nulls not distinct
    (service_id, grain_type, grain_id_n0, grain_id_n1, grain_id_extension)
) with (fillfactor = 80);

-- grain_hash is the grain's uniform hash cast from uint to int, so ring ranges compare signed.
-- period is in milliseconds and may exceed int.
create table orleans_reminders (
  service_id    text not null,
  grain_id      text not null,
  reminder_name text not null,
  start_time    timestamptz not null,
  period        bigint not null,
  grain_hash    int not null,
  version       int not null,
  primary key (service_id, grain_id, reminder_name)
);
create index orleans_reminders_by_hash on orleans_reminders (service_id, grain_hash);

-- Every silo rewrites its membership row every few seconds: vacuum early.
alter table orleans_membership set (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 100);
alter table orleans_membership_version set (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 100);

-- The providers select QueryKey, QueryText from OrleansQuery unquoted: lower-case names match.
create table orleansquery (
  querykey  text primary key,
  querytext text not null
);

-- Boolean answers are read with First(): each of those texts returns exactly one row.
-- The key extension is compared as "= @x or (@x is null and ... is null)" rather than "is not distinct
-- from": once the parameter is bound the planner folds it into a plain index condition.
insert into orleansquery (querykey, querytext) values

('InsertMembershipVersionKey', $q$
with inserted as (
  insert into orleans_membership_version (deployment_id) values (@DeploymentId)
  on conflict do nothing
  returning 1
)
select exists (select 1 from inserted)
$q$),

-- Starts from the version row so that a deployment with no members still returns one row (with a
-- null StartTime, which the provider reads as "no member"), and reads version and members in one
-- snapshot.
('MembershipReadAllKey', $q$
select v.version as "Version", m.address as "Address", m.port as "Port", m.generation as "Generation",
       m.silo_name as "SiloName", m.host_name as "HostName", m.status as "Status",
       m.proxy_port as "ProxyPort", m.suspect_times as "SuspectTimes", m.start_time as "StartTime",
       m.i_am_alive_time as "IAmAliveTime"
from orleans_membership_version v
left join orleans_membership m on m.deployment_id = v.deployment_id
where v.deployment_id = @DeploymentId
$q$),

('MembershipReadRowKey', $q$
select v.version as "Version", m.address as "Address", m.port as "Port", m.generation as "Generation",
       m.silo_name as "SiloName", m.host_name as "HostName", m.status as "Status",
       m.proxy_port as "ProxyPort", m.suspect_times as "SuspectTimes", m.start_time as "StartTime",
       m.i_am_alive_time as "IAmAliveTime"
from orleans_membership_version v
left join orleans_membership m on m.deployment_id = v.deployment_id
  and m.address = @Address and m.port = @Port and m.generation = @Generation
where v.deployment_id = @DeploymentId
$q$),

-- The version moves only when the row is new, so a refused insert leaves the table as it was; of
-- several silos holding the same version, the row lock on the version row lets one win.
('InsertMembershipKey', $q$
with bumped as (
  update orleans_membership_version set version = version + 1
  where deployment_id = @DeploymentId and version = @Version
    and not exists (select 1 from orleans_membership
                    where deployment_id = @DeploymentId and address = @Address
                      and port = @Port and generation = @Generation)
  returning deployment_id
), inserted as (
  insert into orleans_membership (deployment_id, address, port, generation, silo_name, host_name,
                                  status, proxy_port, start_time, i_am_alive_time)
  select deployment_id, @Address, @Port, @Generation, @SiloName, @HostName,
         @Status, @ProxyPort, @StartTime, @IAmAliveTime
  from bumped
  returning 1
)
select exists (select 1 from inserted)
$q$),

('UpdateMembershipKey', $q$
with bumped as (
  update orleans_membership_version set version = version + 1
  where deployment_id = @DeploymentId and version = @Version
    and exists (select 1 from orleans_membership
                where deployment_id = @DeploymentId and address = @Address
                  and port = @Port and generation = @Generation)
  returning deployment_id
), updated as (
  update orleans_membership m
  set status = @Status, suspect_times = @SuspectTimes, i_am_alive_time = @IAmAliveTime
  from bumped
  where m.deployment_id = bumped.deployment_id and m.address = @Address
    and m.port = @Port and m.generation = @Generation
  returning 1
)
select exists (select 1 from updated)
$q$),

-- Heartbeats do not move the version: they are not membership changes.
('UpdateIAmAlivetimeKey', $q$
update orleans_membership set i_am_alive_time = @IAmAliveTime
where deployment_id = @DeploymentId and address = @Address and port = @Port and generation = @Generation
$q$),

-- A silo without a gateway has proxy port 0.
('GatewaysQueryKey', $q$
select address as "Address", proxy_port as "ProxyPort", generation as "Generation"
from orleans_membership
where deployment_id = @DeploymentId and status = @Status and proxy_port > 0
$q$),

-- Keeps the version row: a version restarting from 0 could match an etag a silo read before.
('DeleteMembershipTableEntriesKey', $q$
delete from orleans_membership where deployment_id = @DeploymentId
$q$),

-- Status 3 is Active; anything else that has been silent since the cutoff is gone for good.
('CleanupDefunctSiloEntriesKey', $q$
delete from orleans_membership
where deployment_id = @DeploymentId and status = 6 and i_am_alive_time < @IAmAliveTime
$q$),

('ReadFromStorageKey', $q$
select payload as "PayloadBinary", version as "Version"
from orleans_storage
where service_id = @ServiceId and grain_type = @GrainTypeString
  and grain_id_n0 = @GrainIdN0 and grain_id_n1 = @GrainIdN1
  and (grain_id_extension = @GrainIdExtensionString
       or (@GrainIdExtensionString is null and grain_id_extension is null))
$q$),

-- A null GrainStateVersion means the grain saw no row: insert only if there still is none.
-- Otherwise update only from that version. Either way one row: the new version, or null on a
-- conflict (which the provider turns into InconsistentStateException).
('WriteToStorageKey', $q$
with updated as (
  update orleans_storage
  set payload = @PayloadBinary, version = version + 1, modified_at = clock_timestamp()
  where @GrainStateVersion is not null and version = @GrainStateVersion
    and service_id = @ServiceId and grain_type = @GrainTypeString
    and grain_id_n0 = @GrainIdN0 and grain_id_n1 = @GrainIdN1
    and (grain_id_extension = @GrainIdExtensionString
         or (@GrainIdExtensionString is null and grain_id_extension is null))
  returning version
), inserted as (
  insert into orleans_storage (service_id, grain_type, grain_id_n0, grain_id_n1, grain_id_extension,
                               payload, version)
  select @ServiceId, @GrainTypeString, @GrainIdN0, @GrainIdN1, @GrainIdExtensionString,
         @PayloadBinary, 1
  where @GrainStateVersion is null
  on conflict do nothing
  returning version
)
select coalesce((select version from updated), (select version from inserted)) as "NewGrainStateVersion"
$q$),

-- Clearing keeps the row with a null payload and a new version, so a stale writer still conflicts.
('ClearStorageKey', $q$
with cleared as (
  update orleans_storage
  set payload = null, version = version + 1, modified_at = clock_timestamp()
  where version = @GrainStateVersion
    and service_id = @ServiceId and grain_type = @GrainTypeString
    and grain_id_n0 = @GrainIdN0 and grain_id_n1 = @GrainIdN1
    and (grain_id_extension = @GrainIdExtensionString
         or (@GrainIdExtensionString is null and grain_id_extension is null))
  returning version
)
select (select version from cleared) as "Version"
$q$),

-- Used only with DeleteStateOnClear; the provider wants a value other than the old version back.
('DeleteStorageKey', $q$
with deleted as (
  delete from orleans_storage
  where version = @GrainStateVersion
    and service_id = @ServiceId and grain_type = @GrainTypeString
    and grain_id_n0 = @GrainIdN0 and grain_id_n1 = @GrainIdN1
    and (grain_id_extension = @GrainIdExtensionString
         or (@GrainIdExtensionString is null and grain_id_extension is null))
  returning version
)
select (select version + 1 from deleted) as "Version"
$q$),

('UpsertReminderRowKey', $q$
insert into orleans_reminders (service_id, grain_id, reminder_name, start_time, period, grain_hash, version)
values (@ServiceId, @GrainId, @ReminderName, @StartTime, @Period, @GrainHash, 0)
on conflict (service_id, grain_id, reminder_name) do update
set start_time = excluded.start_time, period = excluded.period, grain_hash = excluded.grain_hash,
    version = orleans_reminders.version + 1
returning version as "Version"
$q$),

('ReadReminderRowsKey', $q$
select grain_id as "GrainId", reminder_name as "ReminderName", start_time as "StartTime",
       period as "Period", version as "Version"
from orleans_reminders
where service_id = @ServiceId and grain_id = @GrainId
$q$),

('ReadReminderRowKey', $q$
select grain_id as "GrainId", reminder_name as "ReminderName", start_time as "StartTime",
       period as "Period", version as "Version"
from orleans_reminders
where service_id = @ServiceId and grain_id = @GrainId and reminder_name = @ReminderName
$q$),

-- Used when begin < end in signed order.
('ReadRangeRows1Key', $q$
select grain_id as "GrainId", reminder_name as "ReminderName", start_time as "StartTime",
       period as "Period", version as "Version"
from orleans_reminders
where service_id = @ServiceId and grain_hash > @BeginHash and grain_hash <= @EndHash
$q$),

-- The range wraps around the ring (and begin = end covers all of it).
('ReadRangeRows2Key', $q$
select grain_id as "GrainId", reminder_name as "ReminderName", start_time as "StartTime",
       period as "Period", version as "Version"
from orleans_reminders
where service_id = @ServiceId and (grain_hash > @BeginHash or grain_hash <= @EndHash)
$q$),

('DeleteReminderRowKey', $q$
with deleted as (
  delete from orleans_reminders
  where service_id = @ServiceId and grain_id = @GrainId and reminder_name = @ReminderName
    and version = @Version
  returning 1
)
select exists (select 1 from deleted)
$q$),

('DeleteReminderRowsKey', $q$
delete from orleans_reminders where service_id = @ServiceId
$q$);
