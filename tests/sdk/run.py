#!/usr/bin/env python3
"""Runs the official-SDK suite against `ecs-ledger serve`.

Creates (once, cached under target/sdk-venv) a virtual environment with the
pinned SDKs of requirements.txt, starts the server with access keys and a
manual clock, runs test_sdks.py, stops the server with SIGTERM (it must exit
0), verifies the log it wrote, and checks the platform's releases in it
(docs/BEHAVIOUR.md §7): every trigger occurs, each orderly release names the
DeleteInstance request the SDK suite made (ECS_CAUSED_BY), and the report
counts them as the log does.

    python3 tests/sdk/run.py [--bin target/debug/ecs-ledger]
"""
import argparse
import collections
import hashlib
import json
import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
KEYS = [
    {"AccessKeyId": "alice-key", "AccessKeySecret": "alice-secret", "Account": "alice", "Admin": False},
    {"AccessKeyId": "bob-key", "AccessKeySecret": "bob-secret", "Account": "bob", "Admin": False},
    {"AccessKeyId": "ops-key", "AccessKeySecret": "ops-secret", "Account": "alice", "Admin": True},
]


def venv_python():
    """A Python with the pinned SDKs: a cached venv, or (where the venv
    module is missing) this Python with the SDKs installed into a cached
    directory on PYTHONPATH. Returns (python, extra PYTHONPATH entries)."""
    requirements = HERE / "requirements.txt"
    want = hashlib.sha256(requirements.read_bytes()).hexdigest()
    venv = ROOT / "target" / "sdk-venv"
    python = venv / "bin" / "python"
    stamp = venv / ".requirements.sha256"
    if python.exists() and stamp.exists() and stamp.read_text() == want:
        return str(python), []
    pip = ["--quiet", "--disable-pip-version-check", "-r", str(requirements)]
    print(f"installing the pinned SDKs ({requirements})", flush=True)
    if subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)]).returncode == 0:
        subprocess.run([str(python), "-m", "pip", "install", *pip], check=True)
        stamp.write_text(want)
        return str(python), []
    target = ROOT / "target" / "sdk-pylib"
    subprocess.run([sys.executable, "-m", "pip", "install", "--upgrade", "--target", str(target), *pip], check=True)
    return sys.executable, [str(target)]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", default=str(ROOT / "target" / "debug" / "ecs-ledger"))
    args = parser.parse_args()
    python, extra_path = venv_python()
    with tempfile.TemporaryDirectory() as tmp:
        keys = Path(tmp) / "keys.json"
        keys.write_text(json.dumps(KEYS))
        data = Path(tmp) / "data"
        server = subprocess.Popen(
            [args.bin, "--data", str(data), "serve", "--listen", "127.0.0.1:0",
             "--access-keys", str(keys), "--clock", "manual", "--seed", "7"],
            stdout=subprocess.PIPE, text=True)
        line = server.stdout.readline().strip()
        if not line.startswith("listening on http://"):
            server.kill()
            sys.exit(f"the server did not start: {line!r}")
        endpoint = line.removeprefix("listening on http://")
        print(f"server on {endpoint}", flush=True)
        caused_by = Path(tmp) / "caused-by.txt"
        caused_by.touch()
        env = dict(os.environ, ECS_ENDPOINT=endpoint, ECS_CAUSED_BY=str(caused_by),
                   PYTHONPATH=os.pathsep.join([str(HERE), *extra_path]))
        tests = subprocess.run([python, "-m", "unittest", "-v", "test_sdks"], cwd=HERE, env=env)
        server.send_signal(signal.SIGTERM)
        try:
            code = server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            sys.exit("the server did not stop on SIGTERM")
        if code != 0:
            sys.exit(f"the server exited with {code} on SIGTERM")
        verify = subprocess.run([args.bin, "--data", str(data), "verify"], capture_output=True, text=True)
        print(verify.stdout.strip(), flush=True)
        if verify.returncode != 0:
            sys.exit("the log written through the SDKs does not verify")
        if tests.returncode == 0:
            check_releases(args.bin, data, set(caused_by.read_text().split()))
        sys.exit(tests.returncode)


def check_releases(binary, data, asked):
    """The platform's releases in the log the SDKs wrote: each trigger at
    least once, the orderly releases caused by exactly the requests that
    asked for them, and the report agreeing with the log."""
    log = subprocess.run([binary, "--data", str(data), "log", "--json"], capture_output=True, text=True, check=True)
    triggers = collections.Counter()
    caused = set()
    for line in log.stdout.splitlines():
        event = json.loads(line)
        if event["Type"] == "InstanceReleaseTriggered":
            triggers[event["Trigger"]] += 1
            if event["Trigger"] == "Request":
                caused.add(event["CausedBy"])
    print(f"platform releases by trigger: {dict(sorted(triggers.items()))}", flush=True)
    for trigger in ["Request", "AutoReleaseTime", "SubscriptionEnded"]:
        if not triggers[trigger]:
            sys.exit(f"no release with trigger {trigger} in the log")
    if caused != asked:
        sys.exit(f"orderly releases caused by {sorted(caused)}, but the SDKs asked with {sorted(asked)}")
    report = subprocess.run([binary, "--data", str(data), "report", "--json"], capture_output=True, text=True,
                            check=True)
    counted = collections.Counter()
    for account in json.loads(report.stdout)["Accounts"]:
        counted["Request"] += account["ReleasedAfterOrderlyStop"]
        counted["AutoReleaseTime"] += account["ReleasedAtAutoReleaseTime"]
        counted["SubscriptionEnded"] += account["ReleasedAtSubscriptionEnd"]
    if counted != triggers:
        sys.exit(f"the report counts {dict(counted)}, the log {dict(triggers)}")


if __name__ == "__main__":
    main()
