#!/bin/bash
# Webhook ack latency of one silo build in its own process, with that silo's GC and CPU over 16 s of the run.
# usage: bench/scripts/ack-side-by-side.sh LABEL CHECKOUT [bench args...]
#   CHECKOUT: a checkout whose src/Silo is built in Release (this one, or a git worktree of another commit)
#   bench args come after this script's seconds=30 and override it (seconds= under 20 leaves no 16 s window)
# needs: this checkout's bench built in Release, and dotnet-counters (dotnet tool install -g dotnet-counters)
set -euo pipefail
label=$1; checkout=$(cd "$2" && pwd); shift 2
here=$(cd "$(dirname "$0")/../.." && pwd)
bench=$here/bench/Bench/bin/Release/net10.0/Conversations.Bench.dll
silo=$checkout/src/Silo/bin/Release/net10.0/Conversations.Silo.dll
out=${TMPDIR:-/tmp}/ack-$label
counters=${DOTNET_COUNTERS:-$HOME/.dotnet/tools/dotnet-counters}
dotnet "$bench" chatwoot-ack seconds=30 silo="$silo" "$@" > "$out.txt" 2>&1 &
run=$!
trap 'kill $run 2>/dev/null || true' EXIT
# The bench names its silo's pid, then says when the measured load starts.
until grep -q '^measuring:' "$out.txt"; do
  kill -0 $run 2>/dev/null || { echo "the bench ended before measuring"; cat "$out.txt"; exit 1; }
  sleep 0.2
done
pid=$(sed -n 's/^silo process: //p' "$out.txt" | head -1)
sleep 2   # past the first moments of the load
rm -f "$out.csv"
"$counters" collect -p "$pid" --format csv -o "$out.csv" --refresh-interval 1 --duration 00:00:00:16 \
  --counters "System.Runtime[dotnet.gc.pause.time,dotnet.gc.collections,dotnet.process.cpu.time,dotnet.gc.heap.total_allocated]" > /dev/null
wait $run
trap - EXIT
python3 - "$label" "$out" <<'PY'
import csv, collections, sys
label, out = sys.argv[1], sys.argv[2]
pause = cpu = allocated = 0.0
collections_by_gen = collections.Counter()
for row in list(csv.reader(open(out + '.csv')))[1:]:
    name, value = row[2], float(row[4] or 0)
    if 'pause.time' in name: pause += value
    elif 'collections' in name: collections_by_gen[name.split('=')[-1].rstrip(']')] += value
    elif 'cpu.time' in name: cpu += value
    elif 'total_allocated' in name: allocated += value
latency = next((l.strip() for l in open(out + '.txt') if 'ack latency' in l), '?')
print(f"{label}: {latency} | silo over 16 s: GC pause {pause * 1000:.0f} ms, collections gen0 {collections_by_gen['gen0']:.0f} "
      f"gen1 {collections_by_gen['gen1']:.0f} gen2 {collections_by_gen['gen2']:.0f}, CPU {cpu:.1f} s, {allocated / 1048576 / 16:.0f} MiB/s allocated")
PY
