#!/usr/bin/env python3
"""The official SDKs, from concurrent clients, against several `ecs-ledger
serve` processes on one PostgreSQL database (docs/BEHAVIOUR.md §6 across
processes).

Starts --servers processes on the database named by --postgres (empty: the
tables are created by the first), runs pg_clients.py in the SDK venv (8
threads, both SDKs, each instance's requests spread over the servers), stops
the servers with SIGTERM (each must exit 0), and checks the log: it
verifies, its Seq is gapless, every instance the clients were told was
created is in it once, and every one they were told was released has
exactly one InstanceReleased.

    python3 tests/sdk/pg_processes.py --bin target/debug/ecs-ledger --postgres URL
"""
import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from run import HERE, KEYS, venv_python


def start(binary, postgres, keys):
    server = subprocess.Popen(
        [binary, "--postgres", postgres, "serve", "--listen", "127.0.0.1:0",
         "--access-keys", str(keys), "--clock", "manual"],
        stdout=subprocess.PIPE, text=True)
    line = server.stdout.readline().strip()
    if not line.startswith("listening on http://"):
        server.kill()
        sys.exit(f"a server did not start: {line!r}")
    return server, line.removeprefix("listening on http://")


def stop(server):
    server.send_signal(signal.SIGTERM)
    try:
        return server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
        return "no exit within 30 s of SIGTERM"


def check_log(binary, postgres, result):
    """The log after the run, against what the clients were acknowledged."""
    verify = subprocess.run([binary, "--postgres", postgres, "verify"], capture_output=True, text=True)
    print(verify.stdout.strip(), flush=True)
    problems = [] if verify.returncode == 0 else [f"verify exited {verify.returncode}"]
    log = subprocess.run([binary, "--postgres", postgres, "log", "--json"],
                         capture_output=True, text=True, check=True)
    records = [json.loads(line) for line in log.stdout.splitlines() if line.strip()]
    seqs = [r["Seq"] for r in records]
    if seqs != list(range(1, len(seqs) + 1)):
        problems.append("the log's Seq is not gapless from 1")
    created = [r["InstanceId"] for r in records if r["Type"] == "InstanceCreated"]
    released = [r["InstanceId"] for r in records if r["Type"] == "InstanceReleased"]
    for iid in result["created"]:
        if created.count(iid) != 1:
            problems.append(f"{iid} acknowledged as created, {created.count(iid)} times in the log")
    for iid in result["released"]:
        if released.count(iid) != 1:
            problems.append(f"{iid} acknowledged as released, {released.count(iid)} times in the log")
    return problems


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", required=True)
    parser.add_argument("--postgres", required=True)
    parser.add_argument("--servers", type=int, default=3)
    args = parser.parse_args()
    python, extra_path = venv_python()
    with tempfile.TemporaryDirectory() as tmp:
        keys = Path(tmp) / "keys.json"
        keys.write_text(json.dumps(KEYS))
        servers = [start(args.bin, args.postgres, keys) for _ in range(args.servers)]
        endpoints = ",".join(endpoint for _, endpoint in servers)
        print(f"servers on {endpoints}", flush=True)
        env = dict(os.environ, ECS_ENDPOINTS=endpoints,
                   PYTHONPATH=os.pathsep.join([str(HERE), *extra_path]))
        clients = subprocess.run([python, str(HERE / "pg_clients.py")], env=env,
                                 capture_output=True, text=True)
        codes = [stop(server) for server, _ in servers]
    sys.stderr.write(clients.stderr)
    try:
        result = json.loads(clients.stdout.strip().splitlines()[-1])
    except (IndexError, json.JSONDecodeError):
        sys.exit(f"the clients printed no summary: {clients.stdout!r}")
    problems = [f"client error: {e}" for e in result["errors"]]
    problems += [f"a server exited with {c} on SIGTERM" for c in codes if c != 0]
    problems += check_log(args.bin, args.postgres, result)
    print(f"ok: {len(result['created'])} created and {len(result['released'])} released through "
          f"{args.servers} servers" if not problems else "\n".join(problems), flush=True)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
