#!/usr/bin/env bash
# Writes tests/fixtures/format-v1: a ledger written by format version 1 (the
# quickstart, seed 1), with its expected `log --json` and `verify` output.
# Run once per format version; never regenerate an existing version's fixture:
# its whole point is that it was written by the old code.
set -euo pipefail
cd "$(dirname "$0")/.."
out=tests/fixtures/format-v1
[ -e "$out" ] && { echo "$out exists: fixtures of released formats are never rewritten" >&2; exit 1; }
cargo build --quiet
mkdir -p "$out"
bin=target/debug/ecs-ledger
$bin --data "$out/ledger" exec --seed 1 examples/quickstart.jsonl > /dev/null
$bin --data "$out/ledger" log --json > "$out/log.jsonl"
$bin --data "$out/ledger" verify > "$out/verify.txt"
echo "wrote $out"
