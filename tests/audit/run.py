#!/usr/bin/env python3
"""Runs the independent checker (check.py) on what `ecs-ledger` writes.

Creates (once, cached under target/audit-venv) a virtual environment with
the pinned requirements.txt, makes a ledger, a key pair, two checkpoints,
an inclusion proof for every Seq and a consistency proof with the binary,
and has check.py accept each of them and reject tampered copies.

    python3 tests/audit/run.py [--bin target/debug/ecs-ledger]
"""
import argparse
import hashlib
import json
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent


def venv_python():
    """A Python with the pinned requirements: a cached venv, or (where the
    venv module is missing) this Python with them installed into a cached
    directory on PYTHONPATH. Returns (python, environment additions)."""
    requirements = HERE / "requirements.txt"
    want = hashlib.sha256(requirements.read_bytes()).hexdigest()
    venv = ROOT / "target" / "audit-venv"
    python = venv / "bin" / "python"
    stamp = venv / ".requirements.sha256"
    if python.exists() and stamp.exists() and stamp.read_text() == want:
        return str(python), {}
    pip = ["--quiet", "--disable-pip-version-check", "-r", str(requirements)]
    print(f"installing the checker's requirements ({requirements})", flush=True)
    if subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)]).returncode == 0:
        subprocess.run([str(python), "-m", "pip", "install", *pip], check=True)
        stamp.write_text(want)
        return str(python), {}
    target = ROOT / "target" / "audit-pylib"
    subprocess.run([sys.executable, "-m", "pip", "install", "--upgrade", "--target", str(target), *pip], check=True)
    return sys.executable, {"PYTHONPATH": str(target)}


class Runner:
    def __init__(self, binary, data, python, env):
        self.binary, self.data, self.python, self.env = binary, data, python, env
        self.checked = 0

    def ledger(self, *args, stdin=""):
        out = subprocess.run([self.binary, "--data", str(self.data), *args], input=stdin,
                             capture_output=True, text=True)
        if out.returncode != 0:
            sys.exit(f"ecs-ledger {' '.join(args)} failed: {out.stdout}{out.stderr}")
        return out.stdout

    def check(self, expect_ok, *args):
        import os
        out = subprocess.run([self.python, str(HERE / "check.py"), *map(str, args)],
                             capture_output=True, text=True, env=dict(os.environ, **self.env))
        if (out.returncode == 0) != expect_ok:
            sys.exit(f"check.py {' '.join(map(str, args))}: expected {'ok' if expect_ok else 'a failure'}, "
                     f"got {out.returncode}: {out.stdout}{out.stderr}")
        self.checked += 1


def tampered(path, out, change):
    doc = json.loads(Path(path).read_text())
    change(doc)
    Path(out).write_text(json.dumps(doc))
    return out


def flip(hex_text):
    return ("0" if hex_text[0] != "0" else "1") + hex_text[1:]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", default=str(ROOT / "target" / "debug" / "ecs-ledger"))
    args = parser.parse_args()
    python, env = venv_python()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        r = Runner(args.bin, tmp / "data", python, env)
        create = '{"Action":"CreateInstance","DataDisk.1.Size":"40"}\n'
        r.ledger("exec", "--seed", "9", stdin=create * 7)
        key, pub = tmp / "k", tmp / "k.pub"
        r.ledger("keygen", "--out", str(key))
        c1, c2 = tmp / "c1.json", tmp / "c2.json"
        r.ledger("checkpoint", "--key", str(key), "--out", str(c1))
        r.ledger("exec", stdin=create * 5)
        r.ledger("checkpoint", "--key", str(key), "--out", str(c2))
        size = json.loads(c2.read_text())["TreeSize"]
        r.check(True, "checkpoint", c1, pub)
        for seq in range(1, size + 1):
            proof = tmp / f"p{seq}.json"
            r.ledger("prove", "--seq", str(seq), "--checkpoint", str(c2), "--out", str(proof))
            r.check(True, "inclusion", proof, c2, pub)
        cons = tmp / "cons.json"
        r.ledger("prove", "--from", str(c1), "--to", str(c2), "--out", str(cons))
        r.check(True, "consistency", cons, c1, c2, pub)
        bad = tmp / "bad.json"
        r.check(False, "checkpoint", tampered(c1, bad, lambda d: d.update(TreeSize=d["TreeSize"] + 1)), pub)
        r.check(False, "inclusion", tampered(tmp / "p3.json", bad, lambda d: d.update(Record=flip(d["Record"]))), c2, pub)
        r.check(False, "inclusion", tampered(tmp / "p3.json", bad, lambda d: d["AuditPath"].reverse()), c2, pub)
        r.check(False, "consistency", tampered(cons, bad, lambda d: d["ConsistencyPath"].pop()), c1, c2, pub)
        r.check(False, "consistency", cons, c2, c1, pub)
        other = tmp / "other"
        r.ledger("keygen", "--out", str(other))
        r.check(False, "inclusion", tmp / "p3.json", c2, tmp / "other.pub")
        print(f"ok: {r.checked} checks by the independent checker agree with ecs-ledger", flush=True)


if __name__ == "__main__":
    main()
