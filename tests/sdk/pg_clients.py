"""Concurrent official-SDK clients against several `ecs-ledger serve`
processes that share one PostgreSQL database (run by pg_processes.py inside
the SDK venv; the endpoints come in ECS_ENDPOINTS, comma-separated).

Each client thread uses one SDK (aliyun-python-sdk-core with v1 signatures,
or alibabacloud-ecs20140526 with v3) and sends each request to a server
chosen in turn, so one instance's life crosses processes: created through
one, described through the next (it must be there: a query sees every write
acknowledged before it, by any process), snapshotted and released through
others. Prints one JSON line: the ids acknowledged as created and released,
and every unexpected error.
"""
import json
import os
import sys
import threading

from adapters import ApiError, CoreApi, TeaApi

ENDPOINTS = os.environ["ECS_ENDPOINTS"].split(",")
CLIENTS = int(os.environ.get("ECS_CLIENTS", "8"))
ROUNDS = int(os.environ.get("ECS_ROUNDS", "6"))
KEY, SECRET = "alice-key", "alice-secret"


def sdk(kind, endpoint):
    if kind == 0:
        return CoreApi(endpoint, KEY, SECRET)
    return TeaApi(endpoint, KEY, SECRET)


def advance(endpoint, seconds):
    CoreApi(endpoint, "ops-key", "ops-secret").common("AdvanceClock", Seconds=str(seconds))


def release_cycle(client, turn, created, released, errors):
    """One instance's life, each step through the next server."""
    def at(step):
        return sdk(client % 2, ENDPOINTS[(client + turn + step) % len(ENDPOINTS)])

    try:
        iid = at(0).create_instance(data_disks=[(20, True), (40, False)])["InstanceId"]
        created.append(iid)
        found = at(1).describe_instances(ids=[iid])
        if iid not in json.dumps(found):
            errors.append(f"client {client}: {iid} created but not described by the next server")
        advance(ENDPOINTS[(client + turn) % len(ENDPOINTS)], 120)
        disks = at(2).describe_disks(instance_id=iid)
        disk_ids = [d["DiskId"] for d in disks.get("Disks", {}).get("Disk", [])]
        for disk in disk_ids[:1]:
            at(3).create_snapshot(disk)
        at(4).delete_instance(iid, force=True)
        released.append(iid)
    except ApiError as e:
        errors.append(f"client {client}: {e}")
    except Exception as e:  # a connection error, a bad body: report, do not hide
        errors.append(f"client {client}: {type(e).__name__}: {e}")


def client_thread(client, created, released, errors):
    for turn in range(ROUNDS):
        release_cycle(client, turn, created, released, errors)


def main():
    created, released, errors = [], [], []
    threads = [threading.Thread(target=client_thread, args=(c, created, released, errors))
               for c in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print(json.dumps({"created": created, "released": released, "errors": errors}))
    sys.exit(1 if errors else 0)


if __name__ == "__main__":
    main()
