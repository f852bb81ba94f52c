#!/usr/bin/env bash
# The Python package, as a user gets it: builds the wheel with maturin in a
# fresh venv, installs it into another fresh venv (with pytest, the pinned
# official SDKs and prometheus-client: tests/python/requirements.txt), runs
# `ecs-ledger --version` from there, and runs tests/python (the pytest
# fixture with both SDKs) against the installed package.
#
#   bash scripts/python_package.sh            # release wheel (what users get)
#
# Cargo's target dir is reused (CARGO_TARGET_DIR or ./target): a rebuild is
# incremental. The venvs and the wheel go under $TARGET/python.
set -euo pipefail
cd "$(dirname "$0")/.."

MATURIN_VERSION=1.16.0
root="$PWD"
target="${CARGO_TARGET_DIR:-$root/target}"
work="$target/python"
python="${PYTHON:-python3}"
pip_flags=(--quiet --disable-pip-version-check)

rm -rf "$work/build-venv" "$work/test-venv" "$work/wheels"
mkdir -p "$work"

echo "-- maturin $MATURIN_VERSION in a fresh venv"
"$python" -m venv "$work/build-venv"
"$work/build-venv/bin/pip" install "${pip_flags[@]}" "maturin==$MATURIN_VERSION"

echo "-- the wheel (release build of the ecs-ledger binary)"
started=$SECONDS
"$work/build-venv/bin/maturin" build --release --locked --out "$work/wheels"
wheels=("$work"/wheels/ecs_ledger-*.whl)
echo "built ${wheels[*]##*/} in $((SECONDS - started)) s"

echo "-- installed into a fresh venv"
"$python" -m venv "$work/test-venv"
"$work/test-venv/bin/pip" install "${pip_flags[@]}" "${wheels[@]}" -r tests/python/requirements.txt

# From outside the repository, with a PATH that has no other ecs-ledger: the
# command is the installed one.
(cd "$work" && env -u ECS_LEDGER_BIN PATH="$work/test-venv/bin:/usr/bin:/bin" ecs-ledger --version)

echo "-- tests/python: the pytest fixture with both official SDKs, from the installed package"
cd "$work"
env -u ECS_LEDGER_BIN -u PYTHONPATH -u PYTEST_PLUGINS \
    "$work/test-venv/bin/python" -m pytest -p no:cacheprovider "$root/tests/python"
