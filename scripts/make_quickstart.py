#!/usr/bin/env python3
"""Regenerates examples/quickstart.jsonl: drives `ecs-ledger exec --seed 1` on a
fresh directory line by line (exec answers each line before reading the next)
and fills in the ids the seeded ledger generates."""
import json, subprocess, sys, tempfile

BIN = sys.argv[1] if len(sys.argv) > 1 else "target/debug/ecs-ledger"
T0 = 1767225600  # 2026-01-01T00:00:00Z

def at(secs):
    import datetime
    return datetime.datetime.fromtimestamp(T0 + secs, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")

data = tempfile.mkdtemp()
p = subprocess.Popen([BIN, "--data", data, "exec", "--seed", "1"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
lines = []
def run(req):
    line = json.dumps(req)
    lines.append(line)
    p.stdin.write(line + "\n"); p.stdin.flush()
    return json.loads(p.stdout.readline())

r = run({"Action": "CreateInstance", "At": at(0), "InstanceName": "web-1", "DataDisk.1.Size": 100, "DataDisk.1.DeleteAutoSnapshot": True, "DataDisk.2.Size": 50, "DataDisk.2.DeleteWithInstance": False})
web = r["Body"]["InstanceId"]
disks = [e["DiskId"] for e in r["Events"] if e["Type"] == "DiskCreated"]
run({"Action": "DeleteInstance", "At": at(1), "InstanceId": web})
extra = run({"Action": "CreateDisk", "At": at(2), "Size": 20})["Body"]["DiskId"]
run({"Action": "AttachDisk", "At": at(10), "InstanceId": web, "DiskId": extra, "DeleteWithInstance": True})
run({"Action": "StartInstance", "At": at(11), "InstanceId": web})
run({"Action": "CreateSnapshot", "At": at(20), "DiskId": disks[1], "SnapshotName": "before-upgrade"})
run({"Action": "CreateAutoSnapshot", "At": at(21), "DiskId": disks[1]})
run({"Action": "CreateAutoSnapshot", "At": at(22), "DiskId": disks[2]})
run({"Action": "DeleteInstance", "At": at(30), "InstanceId": web})
run({"Action": "CreateRouteEntry", "At": at(31), "RouteTableId": "vtb-quickstart01", "DestinationCidrBlock": "10.10.0.0/16", "NextHopId": web})
run({"Action": "AddBackendServers", "At": at(32), "LoadBalancerId": "lb-quickstart01", "BackendServers": json.dumps([{"ServerId": web, "Weight": "100"}])})
run({"Action": "StopInstance", "At": at(33), "InstanceId": web})
run({"Action": "DeleteInstance", "At": at(40), "InstanceId": web})
run({"Action": "DeleteRouteEntry", "At": at(41), "RouteTableId": "vtb-quickstart01", "DestinationCidrBlock": "10.10.0.0/16"})
run({"Action": "DeleteInstance", "At": at(42), "InstanceId": web})
run({"Action": "RemoveBackendServers", "At": at(43), "LoadBalancerId": "lb-quickstart01", "BackendServers": json.dumps([web])})
run({"Action": "ModifyInstanceAttribute", "At": at(44), "InstanceId": web, "DeletionProtection": True})
run({"Action": "DeleteInstance", "At": at(45), "InstanceId": web})
run({"Action": "ModifyInstanceAttribute", "At": at(46), "InstanceId": web, "DeletionProtection": False})
run({"Action": "DeleteInstance", "At": at(47), "InstanceId": web, "DryRun": True})
run({"Action": "DeleteInstance", "At": at(48), "InstanceId": web})
run({"Action": "DeleteInstance", "At": at(49), "InstanceId": web})
db = run({"Action": "CreateInstance", "At": at(60), "InstanceName": "db-1", "DataDisk.1.Size": 200, "DataDisk.1.DeleteWithInstance": False})["Body"]["InstanceId"]
run({"Action": "StartInstance", "At": at(70), "InstanceId": db})
run({"Action": "LockInstance", "At": at(80), "InstanceId": db, "LockReason": "security", "LockMsg": "abuse report 1234"})
run({"Action": "StartInstance", "At": at(81), "InstanceId": db})
run({"Action": "DeleteInstance", "At": at(82), "InstanceId": db, "Force": True})
run({"Action": "StopInstance", "At": at(83), "InstanceId": db})
run({"Action": "DeleteInstance", "At": at(90), "InstanceId": db})
sub = run({"Action": "CreateInstance", "At": at(100), "InstanceName": "batch-1", "InstanceChargeType": "PrePaid", "Period": 1, "PeriodUnit": "Week"})["Body"]["InstanceId"]
run({"Action": "DeleteInstance", "At": at(110), "InstanceId": sub})
run({"Action": "DeleteInstance", "At": at(8 * 86400), "InstanceId": sub})
other = run({"Action": "CreateInstance", "At": at(8 * 86400 + 10), "Account": "team-b", "InstanceName": "theirs"})["Body"]["InstanceId"]
run({"Action": "DeleteInstance", "At": at(8 * 86400 + 20), "InstanceId": other})
run({"Action": "DeleteInstances", "At": at(8 * 86400 + 21), "Account": "team-b", "InstanceId.1": other, "InstanceId.2": "i-doesnotexist01", "DryRun": True})
run({"Action": "DeleteInstances", "At": at(8 * 86400 + 22), "Account": "team-b", "InstanceId.1": other, "DryRun": True})
run({"Action": "DeleteInstances", "At": at(8 * 86400 + 23), "Account": "team-b", "InstanceId.1": other})
run({"Action": "DeleteInstance", "At": at(8 * 86400 + 30)})
run({"Action": "DeleteInstance", "At": at(8 * 86400 + 31), "InstanceId": "i-BAD"})
p.stdin.close(); p.wait()
with open("examples/quickstart.jsonl", "w") as f:
    f.write("\n".join(lines) + "\n")
print(f"wrote {len(lines)} lines")
