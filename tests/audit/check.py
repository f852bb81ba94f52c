#!/usr/bin/env python3
"""An independent checker of ecs-ledger's audit files, written from
docs/FORMAT.md ("Audit") alone: hashlib for SHA-256, the `cryptography`
package for Ed25519. It shares no code with the Rust implementation.

    check.py checkpoint  C PUB         the checkpoint's signature
    check.py inclusion   P C PUB       an inclusion proof against a checkpoint
    check.py consistency P C1 C2 PUB   a consistency proof between two checkpoints

Exit 0 when valid, 1 when not (the reason on stderr).
"""
import hashlib
import json
import sys

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey


class Invalid(Exception):
    pass


def sha256(data):
    return hashlib.sha256(data).digest()


def leaf_hash(record):
    return sha256(b"\x00" + record)


def node_hash(left, right):
    return sha256(b"\x01" + left + right)


def unhex(text, size=None):
    if text != text.lower():
        raise Invalid("hex must be lower case")
    data = bytes.fromhex(text)
    if size is not None and len(data) != size:
        raise Invalid(f"expected {size} bytes, got {len(data)}")
    return data


def read_public_key(path):
    raw = unhex(open(path).read().strip(), 32)
    return raw, Ed25519PublicKey.from_public_bytes(raw)


def read_checkpoint(path, public):
    raw, key = public
    c = json.load(open(path))
    if c["Format"] != "ecs-ledger checkpoint v1":
        raise Invalid("not a v1 checkpoint")
    size, root = c["TreeSize"], unhex(c["RootHash"], 32)
    if not isinstance(size, int) or size < 0:
        raise Invalid("bad TreeSize")
    key_id = sha256(raw)[:8].hex()
    if c["KeyId"] != key_id:
        raise Invalid("signed by another key")
    text = f"ecs-ledger checkpoint v1\n{size}\n{root.hex()}\n{c['LedgerTime']}\n{key_id}\n"
    try:
        key.verify(unhex(c["Signature"], 64), text.encode())
    except InvalidSignature:
        raise Invalid("bad signature")
    return size, root


def verify_inclusion(index, size, leaf, path, root):
    """RFC 9162 section 2.1.3.2."""
    if index >= size:
        raise Invalid("leaf index outside the tree")
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            raise Invalid("path too long")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0 or r != root:
        raise Invalid("the path does not lead to the root")


def verify_consistency(first, second, first_root, second_root, path):
    """RFC 9162 section 2.1.4.2 (an empty path when first is 0 or second)."""
    if first > second:
        raise Invalid("first tree larger than second")
    if first == 0 or first == second:
        if path or (first == second and first_root != second_root):
            raise Invalid("not consistent")
        return
    if first & (first - 1) == 0:
        path = [first_root] + path
    if not path:
        raise Invalid("empty path")
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise Invalid("path too long")
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0 or fr != first_root or sr != second_root:
        raise Invalid("the path does not link the roots")


def inclusion(proof_path, checkpoint_path, public):
    size, root = read_checkpoint(checkpoint_path, public)
    p = json.load(open(proof_path))
    if p["Format"] != "ecs-ledger inclusion proof v1":
        raise Invalid("not a v1 inclusion proof")
    if p["TreeSize"] != size or unhex(p["RootHash"], 32) != root:
        raise Invalid("the proof is for another tree")
    if p["LeafIndex"] != p["Seq"] - 1:
        raise Invalid("LeafIndex is not Seq - 1")
    leaf = leaf_hash(unhex(p["Record"]))
    path = [unhex(h, 32) for h in p["AuditPath"]]
    verify_inclusion(p["LeafIndex"], size, leaf, path, root)
    return f"record {p['Seq']} is in the tree of {size} records"


def consistency(proof_path, first_path, second_path, public):
    m, m_root = read_checkpoint(first_path, public)
    n, n_root = read_checkpoint(second_path, public)
    p = json.load(open(proof_path))
    if p["Format"] != "ecs-ledger consistency proof v1":
        raise Invalid("not a v1 consistency proof")
    if (p["FirstSize"], unhex(p["FirstRoot"], 32), p["SecondSize"], unhex(p["SecondRoot"], 32)) != (m, m_root, n, n_root):
        raise Invalid("the proof is for other trees")
    verify_consistency(m, n, m_root, n_root, [unhex(h, 32) for h in p["ConsistencyPath"]])
    return f"the tree of {n} records extends the tree of {m}"


def main(argv):
    try:
        if argv[:1] == ["checkpoint"] and len(argv) == 3:
            size, _ = read_checkpoint(argv[1], read_public_key(argv[2]))
            message = f"checkpoint of {size} records"
        elif argv[:1] == ["inclusion"] and len(argv) == 4:
            message = inclusion(argv[1], argv[2], read_public_key(argv[3]))
        elif argv[:1] == ["consistency"] and len(argv) == 5:
            message = consistency(argv[1], argv[2], argv[3], read_public_key(argv[4]))
        else:
            sys.exit(__doc__)
    except (Invalid, KeyError, TypeError, ValueError) as e:
        print(f"INVALID: {e!r}", file=sys.stderr)
        return 1
    print(f"ok: {message}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
