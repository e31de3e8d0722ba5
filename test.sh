#!/usr/bin/env bash
# Runs every test and ends with the line "N passed, N failed, N skipped".
# Starts a throwaway PostgreSQL on 127.0.0.1 unless CONVERSATIONS_TEST_PG names one.
set -uo pipefail
cd "$(dirname "$0")"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

results="$PWD/.test-results"
rm -rf "$results"; mkdir -p "$results"

pg_started=""
stop_pg() {
  if [ -n "$pg_started" ]; then
    runuser -u postgres -- "$pg_bin/pg_ctl" -D "$pg_data" -m fast stop >/dev/null 2>&1 || true
    rm -rf "$pg_root"
  fi
}
trap stop_pg EXIT

start_pg() {
  pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
  if [ -z "$pg_bin" ]; then
    echo "PostgreSQL is not installed; installing the Debian package"
    apt-get update >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postgresql >/dev/null
    pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
  fi
  [ -n "$pg_bin" ] || { echo "could not install PostgreSQL"; return 1; }
  pg_root=$(mktemp -d /tmp/conversations-pg.XXXXXX)
  pg_data="$pg_root/data"
  chown postgres "$pg_root"
  runuser -u postgres -- "$pg_bin/initdb" -D "$pg_data" -A trust -U postgres >/dev/null || return 1
  # A random port below the ephemeral range (32768-60999), so no outgoing connection holds it;
  # another listener may, so try a few. Every test assembly runs in parallel on this one server:
  # max_connections sized for a many-core machine.
  local port attempt
  for attempt in 1 2 3 4 5 6 7 8; do
    port=$(( 20000 + RANDOM % 12000 ))
    if runuser -u postgres -- "$pg_bin/pg_ctl" -D "$pg_data" -w -l "$pg_root/log" \
      -o "-p $port -k $pg_root -c listen_addresses=127.0.0.1 -c max_connections=1000 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" start >/dev/null 2>&1; then
      pg_started=1
      break
    fi
    echo "PostgreSQL did not start on port $port (attempt $attempt)"
  done
  [ -n "$pg_started" ] || { cat "$pg_root/log"; rm -rf "$pg_root"; return 1; }
  export CONVERSATIONS_TEST_PG="Host=127.0.0.1;Port=$port;Username=postgres;Database=postgres"
  export CONVERSATIONS_TEST_PG_CTL="$pg_bin/pg_ctl"
  export CONVERSATIONS_TEST_PG_DATA="$pg_data"
  echo "throwaway PostgreSQL on 127.0.0.1:$port"
}

if [ -z "${CONVERSATIONS_TEST_PG:-}" ]; then
  start_pg || { echo "0 passed, 1 failed"; exit 1; }
fi

if ! dotnet build Conversations.sln -c Release -nologo -clp:ErrorsOnly; then
  echo "build failed"
  echo "0 passed, 1 failed"
  exit 1
fi

dotnet test Conversations.sln -c Release --no-build --logger trx --results-directory "$results" -- RunConfiguration.TreatNoTestsAsError=false
test_exit=$?

passed=0; failed=0; skipped=0
for trx in "$results"/*.trx; do
  [ -f "$trx" ] || continue
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -1)
  get() { echo "$counters" | grep -o " $1=\"[0-9]*\"" | grep -o '[0-9]*'; }
  passed=$(( passed + $(get passed) ))
  failed=$(( failed + $(get failed) + $(get error) + $(get timeout) + $(get aborted) ))
  skipped=$(( skipped + $(get notExecuted) ))
done
if [ "$test_exit" -ne 0 ] && [ "$failed" -eq 0 ]; then
  echo "dotnet test exited $test_exit without a failed test (a test host crashed or did not report)"
  failed=1
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
