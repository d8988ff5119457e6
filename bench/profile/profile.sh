#!/bin/bash
# Where the grain host's CPU goes during the bench's sustained ingest (issue #14, README "Performance").
#   bench/profile/profile.sh [PHASE] [OUT_DIR] [BENCH_DLL]
# PHASE is a --only filter of the bench ("ingest: memory", "embedded default", "cluster mode"); the profile is
# taken 10 s into the sustained part (after start-up and the warm-up), for 10 s, with perf at 499 Hz and .NET's
# perf map (DOTNET_PerfMapEnabled=1, and W^X off so JIT code is not in a memfd perf cannot map) so JIT frames have names. Needs perf (Debian: linux-perf).
# Writes OUT_DIR/report.txt (top symbols, self time), OUT_DIR/modules.txt (by module) and OUT_DIR/cpu.txt
# (the grain host's CPU seconds in the window, to divide by the messages the bench reports for it).
set -euo pipefail
phase=${1:-embedded default}
out=${2:-/tmp/bench-profile}
bench=${3:-$(dirname "$0")/../bin/Release/net10.0/MessengerAutoReply.Bench.dll}
mkdir -p "$out"
DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0 dotnet "$bench" --quick --only "$phase" --json "$out/bench.json" > "$out/bench.md" 2> "$out/bench.log" &
bench_pid=$!
# The grain host: the API host (embedded) or the first silo (cluster mode), started by the bench.
host=""
for _ in $(seq 1 120); do
  host=$(pgrep -n -f 'MessengerAutoReply.(Silo|ApiHost).dll|serve-memory-host' || true)
  [ -n "$host" ] && grep -q "warm-up\|ingest" "$out/bench.log" 2>/dev/null && break
  sleep 1
done
[ -n "$host" ] || { echo "no grain host found" >&2; exit 1; }
# Start-up, SSE connect and the 5 s warm-up are over by then: 10 s into the 20 s sustained ingest.
sleep 22
ticks() { awk '{print $14 + $15}' "/proc/$host/stat"; }
before=$(ticks)
perf record -F 499 -g -p "$host" -o "$out/perf.data" -- sleep 10 2> "$out/perf.log"
after=$(ticks)
echo "grain host pid $host: $(( (after - before) ))/$(getconf CLK_TCK) CPU seconds in the 10 s window" > "$out/cpu.txt"
perf report -i "$out/perf.data" --stdio --no-children --sort symbol --percent-limit 0.7 2>/dev/null | grep -v '^$' | head -120 > "$out/report.txt"
perf report -i "$out/perf.data" --stdio --no-children --sort dso --percent-limit 0.5 2>/dev/null | grep -v '^$' | head -40 > "$out/modules.txt"
wait "$bench_pid" || true
cat "$out/cpu.txt"
