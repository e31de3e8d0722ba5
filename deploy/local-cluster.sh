#!/usr/bin/env bash
# A local cluster on one machine, without containers: a throwaway PostgreSQL, N silos and one
# standalone gateway, as processes, to see a cluster and its failover with your own eyes.
#
#   deploy/local-cluster.sh up [N] [--build]   start PostgreSQL, N silos (default 2) and a gateway
#   deploy/local-cluster.sh status             what runs, where, and whether it is ready
#   deploy/local-cluster.sh kill-silo K        kill -9 silo K (1..N): watch the others take over
#   deploy/local-cluster.sh down               stop everything it started (by the pids it recorded)
#
# It runs the Release build output (dotnet build -c Release; --build does it first). State, logs
# and pids go to $LOCAL_CLUSTER_STATE (default deploy/.local/). Every process serves a demo tenant:
# Chatwoot "demo", URL token $LOCAL_CLUSTER_URL_TOKEN (demo-url-token), built-in Rules AI answering
# every message, replies sent to $LOCAL_CLUSTER_CHATWOOT_URL (default http://127.0.0.1:3000).
# $LOCAL_CLUSTER_ARGS (optional) is appended to every silo's and the gateway's arguments.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
state=${LOCAL_CLUSTER_STATE:-$repo/deploy/.local}
chatwoot_url=${LOCAL_CLUSTER_CHATWOOT_URL:-http://127.0.0.1:3000}
url_token=${LOCAL_CLUSTER_URL_TOKEN:-demo-url-token}
health="$repo/deploy/healthcheck.sh"
silo_dll="$repo/src/Silo/bin/Release/net10.0/Conversations.Silo.dll"
gateway_dll="$repo/src/Gateway/bin/Release/net10.0/Conversations.Gateway.dll"

say() { echo "local-cluster: $*"; }
die() { echo "local-cluster: $*" >&2; exit 1; }

# Running (a killed process not yet reaped by its parent, a zombie, counts as gone).
alive() { [ -n "${1:-}" ] && [ -r "/proc/$1/status" ] && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null; }
# Alive and still one of ours (not an unrelated process that got a recorded pid again).
ours() { alive "$1" && tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | grep -q "Conversations\.\(Silo\|Gateway\)\.dll"; }
pid_of() { [ -f "$state/pids/$1.pid" ] && cat "$state/pids/$1.pid" || true; }
port_of() { [ -f "$state/pids/$1.port" ] && cat "$state/pids/$1.port" || true; }

# Sets $port to one nothing listens on, below the ephemeral range, not handed out before in this run.
given=" "
free_port() {
  for _ in $(seq 1 200); do
    port=$(( 20000 + RANDOM % 12000 ))
    case "$given" in *" $port "*) continue ;; esac
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      given="$given$port "
      return 0
    fi
  done
  die "no free port found"
}

as_postgres() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

pg_bin() {
  local bin=/usr/lib/postgresql/15/bin
  [ -x "$bin/initdb" ] || bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
  [ -n "$bin" ] && [ -x "$bin/initdb" ] || die "PostgreSQL is not installed (apt-get install postgresql)"
  echo "$bin"
}

# Waits until GET path answers 200 on port, or the process exits, or timeout seconds pass.
wait_for() {
  local name=$1 port=$2 path=$3 timeout=$4 pid
  pid=$(pid_of "$name")
  for _ in $(seq 1 $(( timeout * 5 ))); do
    "$health" "$path" "$port" 2>/dev/null && return 0
    alive "$pid" || die "$name exited; see $state/logs/$name.log"
    sleep 0.2
  done
  die "$name did not answer $path within ${timeout}s; see $state/logs/$name.log"
}

start_process() {
  local name=$1 dll=$2 port=$3; shift 3
  # The tenant and the store as arguments: the same for every process.
  nohup dotnet "$dll" --urls "http://127.0.0.1:$port" \
    --Conversations:Store:Provider=Postgres \
    "--Conversations:Store:ConnectionString=Host=127.0.0.1;Port=$(cat "$state/pg.port");Username=postgres;Database=conversations;Maximum Pool Size=20" \
    --Conversations:Tenants:0:Id=demo \
    --Conversations:Tenants:0:Platform=Chatwoot \
    "--Conversations:Tenants:0:BaseUrl=$chatwoot_url" \
    --Conversations:Tenants:0:ApiToken=demo-api-token \
    "--Conversations:Tenants:0:UrlToken=$url_token" \
    --Conversations:Tenants:0:Ai:Kind=Rules \
    "--Conversations:Tenants:0:Ai:Rules:0:Pattern=." \
    "--Conversations:Tenants:0:Ai:Rules:0:Reply=Hello from the local cluster (the demo Rules AI)." \
    "$@" ${LOCAL_CLUSTER_ARGS:-} >"$state/logs/$name.log" 2>&1 </dev/null &
  echo $! >"$state/pids/$name.pid"
  echo "$port" >"$state/pids/$name.port"
}

up() {
  local silos=2 build=""
  for arg in "$@"; do
    case "$arg" in
      --build) build=1 ;;
      ''|*[!0-9]*) die "usage: up [N] [--build]" ;;
      *) silos=$arg ;;
    esac
  done
  [ "$silos" -ge 1 ] || die "N must be at least 1"
  if [ -d "$state/pids" ]; then
    for f in "$state"/pids/*.pid; do
      [ -f "$f" ] && alive "$(cat "$f")" && die "already up (deploy/local-cluster.sh status); run down first"
    done
  fi
  if [ -n "$build" ]; then
    say "building (Release)"
    dotnet build "$repo/Conversations.sln" -c Release -nologo -clp:ErrorsOnly
  fi
  [ -f "$silo_dll" ] && [ -f "$gateway_dll" ] || die "no Release build: run dotnet build -c Release (or up --build)"

  rm -rf "$state/pids" "$state/pg"
  mkdir -p "$state/pids" "$state/logs" "$state/pg"
  chmod 755 "$state"
  local bin; bin=$(pg_bin)
  [ "$(id -u)" = 0 ] && chown postgres "$state/pg"
  as_postgres test -w "$state/pg" || die "the postgres user cannot write $state/pg; set LOCAL_CLUSTER_STATE to a directory it can reach"
  say "PostgreSQL: initdb into $state/pg/data"
  as_postgres "$bin/initdb" -D "$state/pg/data" -A trust -U postgres >"$state/logs/initdb.log" 2>&1 || die "initdb failed; see $state/logs/initdb.log"
  local port started=""
  for _ in 1 2 3 4 5 6 7 8; do
    free_port
    if as_postgres "$bin/pg_ctl" -D "$state/pg/data" -w -l "$state/pg/postgres.log" \
        -o "-p $port -k $state/pg -c listen_addresses=127.0.0.1 -c max_connections=300" start >/dev/null 2>&1; then
      started=1; break
    fi
  done
  [ -n "$started" ] || die "PostgreSQL did not start; see $state/pg/postgres.log"
  echo "$port" >"$state/pg.port"
  head -1 "$state/pg/data/postmaster.pid" >"$state/pids/postgres.pid"
  echo "$port" >"$state/pids/postgres.port"
  as_postgres "$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -qc "create database conversations" >/dev/null

  # The first silo applies the schema; the others and the gateway start once it is ready.
  local k http silo_port gateway_port
  for k in $(seq 1 "$silos"); do
    free_port; http=$port; free_port; silo_port=$port; free_port; gateway_port=$port
    start_process "silo$k" "$silo_dll" "$http" \
      "--Orleans:Endpoints:SiloPort=$silo_port" "--Orleans:Endpoints:GatewayPort=$gateway_port" \
      --Orleans:Endpoints:AdvertisedIPAddress=127.0.0.1 \
      "--Conversations:Store:ApplySchema=$([ "$k" = 1 ] && echo true || echo false)"
    [ "$k" = 1 ] && wait_for silo1 "$(port_of silo1)" /readyz 90
  done
  free_port
  start_process gateway "$gateway_dll" "$port" --Conversations:Store:ApplySchema=false
  for k in $(seq 2 "$silos"); do wait_for "silo$k" "$(port_of "silo$k")" /readyz 90; done
  wait_for gateway "$(port_of gateway)" /readyz 90
  status
  cat <<EOF

Send a customer message (the Rules AI answers it through $chatwoot_url):
  curl -s -H 'Content-Type: application/json' \\
    'http://127.0.0.1:$(port_of gateway)/webhooks/chatwoot/demo?token=$url_token' \\
    -d '{"event":"message_created","id":1,"message_type":"incoming","content":"hello","account":{"id":1},"conversation":{"id":1,"status":"pending"},"sender":{"id":1,"type":"contact"}}'
Then: deploy/local-cluster.sh kill-silo 1, send another, and deploy/local-cluster.sh down.
EOF
}

status() {
  [ -d "$state/pids" ] || { say "not up"; return 0; }
  local f name pid port ready
  for f in "$state"/pids/*.pid; do
    [ -f "$f" ] || continue
    name=$(basename "$f" .pid); pid=$(cat "$f"); port=$(port_of "$name")
    if ! alive "$pid"; then
      printf '%-10s pid %-8s %-28s dead\n' "$name" "$pid" "127.0.0.1:$port"
    elif [ "$name" = postgres ]; then
      printf '%-10s pid %-8s %-28s running\n' "$name" "$pid" "127.0.0.1:$port"
    else
      ready=unready; "$health" /readyz "$port" 2>/dev/null && ready=ready
      printf '%-10s pid %-8s %-28s %s\n' "$name" "$pid" "http://127.0.0.1:$port" "$ready"
    fi
  done
  say "logs in $state/logs"
}

kill_silo() {
  local k=${1:-}; [ -n "$k" ] || die "usage: kill-silo K"
  local pid; pid=$(pid_of "silo$k")
  [ -n "$pid" ] || die "no silo$k"
  ours "$pid" || die "silo$k (pid $pid) is not running"
  kill -9 "$pid"
  say "silo$k (pid $pid) killed with SIGKILL; the other silos declare it dead within seconds"
}

down() {
  [ -d "$state/pids" ] || { say "not up"; return 0; }
  local f name pid
  # Silos and the gateway: SIGTERM (they drain and exit 0), SIGKILL after 40 s.
  for f in "$state"/pids/*.pid; do
    [ -f "$f" ] || continue
    name=$(basename "$f" .pid); pid=$(cat "$f")
    [ "$name" = postgres ] && continue
    if ours "$pid"; then kill -TERM "$pid" 2>/dev/null || true; else say "$name was not running"; rm -f "$f"; fi
  done
  for f in "$state"/pids/*.pid; do
    [ -f "$f" ] || continue
    name=$(basename "$f" .pid); pid=$(cat "$f")
    [ "$name" = postgres ] && continue
    for _ in $(seq 1 200); do alive "$pid" || break; sleep 0.2; done
    if ours "$pid"; then kill -9 "$pid" 2>/dev/null || true; say "$name (pid $pid) killed after 40 s"; else say "$name stopped"; fi
  done
  pid=$(pid_of postgres)
  if alive "$pid"; then
    local bin; bin=$(pg_bin)
    as_postgres "$bin/pg_ctl" -D "$state/pg/data" -m fast -w stop >/dev/null 2>&1 || kill -9 "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do alive "$pid" || break; sleep 0.1; done
  fi
  say "postgres stopped"
  rm -rf "$state/pids" "$state/pg" "$state/pg.port"
  say "down (logs kept in $state/logs)"
}

case "${1:-}" in
  up) shift; up "$@" ;;
  status) status ;;
  kill-silo) shift; kill_silo "$@" ;;
  down) down ;;
  *) sed -n '2,14p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
