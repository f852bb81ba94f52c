#!/usr/bin/env bash
# Runs the release workload against ecs-ledger and a peer event store side by
# side, mode for mode, in one run, and prints the ratio table.
#
#   scripts/compare_peers.sh PEERS_DIR [N...]
#
# PEERS_DIR holds `drive.py` (the workload driver: N instances, each created
# with two data disks, given three snapshots and released with Force, all
# pipelined through the `exec` line protocol; it prints one JSON summary
# line) and `sqlite-es/` (a plain SQLite WAL event store speaking the same
# protocol, with `--sync full|normal|off`). N defaults to 2000 and 20000.
# The pairs: ecs-ledger `sync` vs SQLite `full` (fsync at every commit),
# `flush` vs `normal` (survives kill -9), `none` vs `off`. Absolute rates
# move by a third between runs on a shared machine; ratios from one run hold.
set -euo pipefail
cd "$(dirname "$0")/.."
peers=$(cd "${1:?usage: scripts/compare_peers.sh PEERS_DIR [N...]}" && pwd)
shift
if [[ $# -gt 0 ]]; then sizes=("$@"); else sizes=(2000 20000); fi

cargo build --quiet --release
cargo build --quiet --release --manifest-path "$peers/sqlite-es/Cargo.toml" --target-dir target/peers
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

echo "$(date -u +%Y-%m-%d) on $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)"
printf '%-7s %-13s %12s %12s %7s %9s %9s %10s %10s\n' N modes ecs-ledger/s sqlite/s ratio cpu-s cpu-s MB MB
for n in "${sizes[@]}"; do
    for pair in "sync full" "flush normal" "none off"; do
        set -- $pair
        e=$(python3 "$peers/drive.py" --instances "$n" -- target/release/ecs-ledger --data "$scratch/e$n$1" exec --durability "$1" 2>/dev/null | tail -1 || true)
        s=$(python3 "$peers/drive.py" --instances "$n" -- target/peers/release/sqlite-es --data "$scratch/s$n$2" exec --sync "$2" 2>/dev/null | tail -1 || true)
        python3 - "$e" "$s" "$n" "$1/$2" <<'PY'
import json, sys
e, s = json.loads(sys.argv[1]), json.loads(sys.argv[2])
er, sr = e["total"]["commands_per_s"], s["total"]["commands_per_s"]
print(f"{sys.argv[3]:<7} {sys.argv[4]:<13} {er:>12,.0f} {sr:>12,.0f} {er / sr:>6.2f}x "
      f"{e['exec_cpu_seconds']:>9.2f} {s['exec_cpu_seconds']:>9.2f} "
      f"{e['data_bytes'] / 1e6:>10.1f} {s['data_bytes'] / 1e6:>10.1f}"
      + ("" if e["ok"] and s["ok"] else "  (a run reported failures)"))
PY
        rm -rf "$scratch"/*
    done
done
