"""The official SDKs, unchanged, against `ecs-ledger serve`.

Every scenario runs through aliyun-python-sdk-core (v1 signatures) and
alibabacloud-ecs20140526 with its default v3 signature and with
signature_algorithm='v2'. Errors are checked as each SDK reports them: its
error code, HTTP status and RequestId.
"""
import json
import os
import re
import unittest
import xml.etree.ElementTree as ET

from adapters import ApiError, CoreApi, TeaApi

ENDPOINT = os.environ["ECS_ENDPOINT"]
REQUEST_ID = re.compile(r"^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$")


def admin():
    """Platform actions and the manual clock, with the admin key."""
    return CoreApi(ENDPOINT, "ops-key", "ops-secret")


def advance(seconds):
    admin().common("AdvanceClock", Seconds=str(seconds))


_routes = iter(range(1, 250))


def next_cidr():
    return f"10.{next(_routes)}.0.0/16"


class Scenarios:
    """Mixed into one TestCase per SDK; `make(key, secret)` builds its client."""

    def setUp(self):
        self.api = self.make("alice-key", "alice-secret")

    def expect_error(self, code, status, call, *args, **kwargs):
        with self.assertRaises(ApiError) as caught:
            call(*args, **kwargs)
        e = caught.exception
        self.assertEqual(e.code, code, f"{self.api.name}: {e}")
        self.assertEqual(e.status, status, f"{self.api.name}: {e}")
        self.assertRegex(e.request_id or "", REQUEST_ID, f"{self.api.name}: RequestId")
        return e

    def stopped_instance(self, **kwargs):
        created = self.api.create_instance(**kwargs)
        self.assertRegex(created["RequestId"], REQUEST_ID)
        advance(10)
        return created["InstanceId"]

    def running_instance(self, **kwargs):
        i = self.stopped_instance(**kwargs)
        self.api.start_instance(i)
        advance(10)
        return i

    # ------------------------------------------------------------ lifecycle

    def test_lifecycle_create_describe_release(self):
        created = self.api.create_instance(data_disks=[(40, True), (50, False)])
        i = created["InstanceId"]
        described = self.api.describe_instances(ids=[i])
        self.assertEqual(described["TotalCount"], 1)
        self.assertEqual(described["Instances"]["Instance"][0]["Status"], "Pending")
        advance(10)
        self.assertEqual(self.api.describe_instances(ids=[i])["Instances"]["Instance"][0]["Status"], "Stopped")
        disks = self.api.describe_disks(instance_id=i)["Disks"]["Disk"]
        self.assertEqual([d["Type"] for d in disks], ["system", "data", "data"])
        kept = [d["DiskId"] for d in disks if not d["DeleteWithInstance"]][0]
        extra = self.api.create_disk(20)["DiskId"]
        self.api.attach_disk(i, extra, True)
        self.api.start_instance(i)
        advance(10)
        self.assertEqual(self.api.describe_instances(ids=[i], status="Running")["TotalCount"], 1)
        data = [d["DiskId"] for d in disks if d["Type"] == "data" and d["DeleteWithInstance"]][0]
        snapshot = self.api.create_snapshot(data)["SnapshotId"]
        self.api.stop_instance(i)
        advance(10)
        released = self.api.delete_instance(instance_id=i)
        self.assertRegex(released["RequestId"], REQUEST_ID)
        self.assertEqual(self.api.describe_instances(ids=[i])["TotalCount"], 0)
        remaining = {d["DiskId"]: d for d in self.api.describe_disks()["Disks"]["Disk"]}
        self.assertIn(kept, remaining)
        self.assertEqual(remaining[kept]["Status"], "Available")
        self.assertEqual(remaining[kept]["InstanceId"], "")
        self.assertNotIn(extra, remaining)
        retained = self.api.describe_snapshots(disk_id=data)["Snapshots"]["Snapshot"]
        self.assertEqual([s["SnapshotId"] for s in retained], [snapshot])
        self.assertEqual(retained[0]["SourceDiskId"], data)
        self.expect_error("InvalidInstanceId.NotFound", 404, self.api.delete_instance, instance_id=i)

    # ------------------------------------------------------------ every DeleteInstance row

    def test_row_01_missing_parameter(self):
        self.expect_error("MissingParameter", 400, self.api.delete_instance)

    def test_row_02_invalid_parameter(self):
        e = self.expect_error("InvalidParameter", 400, self.api.delete_instance, instance_id="i-NOT_VALID")
        self.assertEqual(e.message, "The input parameter InstanceId is invalid.")

    def test_row_03_not_found(self):
        self.expect_error("InvalidInstanceId.NotFound", 404, self.api.delete_instance, instance_id="i-doesnotexist01")

    def test_row_04_initializing(self):
        i = self.api.create_instance()["InstanceId"]
        self.expect_error("IncorrectInstanceStatus.Initializing", 403, self.api.delete_instance, instance_id=i, force=True)

    def test_row_05_deletion_protection(self):
        i = self.stopped_instance(deletion_protection=True)
        e = self.expect_error("InvalidOperation.DeletionProtection", 400, self.api.delete_instance, instance_id=i)
        self.assertIn(i, e.message)
        self.api.modify_instance_attribute(i, False)
        self.api.delete_instance(instance_id=i)

    def test_row_06_charge_type_violation(self):
        i = self.stopped_instance(prepaid_weeks=1)
        self.expect_error("ChargeTypeViolation", 403, self.api.delete_instance, instance_id=i)
        advance(8 * 24 * 3600)
        self.api.delete_instance(instance_id=i)

    def test_row_07_locked_for_security(self):
        i = self.running_instance()
        admin().common("LockInstance", InstanceId=i, LockReason="security")
        self.expect_error("InstanceLockedForSecurity", 403, self.api.delete_instance, instance_id=i, force=True)

    def test_row_08_incorrect_status(self):
        i = self.running_instance()
        self.expect_error("IncorrectInstanceStatus", 403, self.api.delete_instance, instance_id=i)
        released = self.api.delete_instance(instance_id=i, force=True)
        self.assertRegex(released["RequestId"], REQUEST_ID)

    def test_row_09_route_entry(self):
        i = self.stopped_instance()
        admin().common("CreateRouteEntry", RouteTableId="vtb-sdktest00001", DestinationCidrBlock=next_cidr(),
                       NextHopId=i, NextHopType="Instance")
        self.expect_error("DependencyViolation.RouteEntry", 400, self.api.delete_instance, instance_id=i)

    def test_row_10_slb(self):
        i = self.stopped_instance()
        admin().common("AddBackendServers", LoadBalancerId="lb-sdktest000001",
                       BackendServers=json.dumps([{"ServerId": i, "Weight": "100"}]))
        self.expect_error("DependencyViolation.SLBConfiguring", 400, self.api.delete_instance, instance_id=i)

    def test_row_11_dry_run(self):
        i = self.stopped_instance()
        self.expect_error("DryRunOperation", 400, self.api.delete_instance, instance_id=i, dry_run=True)
        self.assertEqual(self.api.describe_instances(ids=[i])["TotalCount"], 1)

    # ------------------------------------------------------------ DeleteInstances

    def test_delete_instances_is_all_or_nothing(self):
        a, b = self.stopped_instance(), self.stopped_instance()
        e = self.expect_error("InvalidInstanceId.NotFound", 404, self.api.delete_instances, [a, "i-doesnotexist02", b])
        self.assertIn("i-doesnotexist02", e.message)
        self.assertEqual(self.api.describe_instances(ids=[a, b])["TotalCount"], 2)
        self.expect_error("DRYRUN.SUCCESS", 400, self.api.delete_instances, [a, b], dry_run=True)
        self.api.delete_instances([a, b])
        self.assertEqual(self.api.describe_instances(ids=[a, b])["TotalCount"], 0)

    def test_delete_instances_over_100_is_refused(self):
        ids = [f"i-{n:012d}" for n in range(101)]
        self.expect_error("InvalidParameter.TooManyInstanceIds", 403, self.api.delete_instances, ids)

    # ------------------------------------------------------------ accounts

    def test_another_account_sees_not_found(self):
        i = self.stopped_instance()
        bob = self.make("bob-key", "bob-secret")
        self.expect_error("InvalidInstanceId.NotFound", 404, bob.delete_instance, instance_id=i)
        self.assertEqual(bob.describe_instances(ids=[i])["TotalCount"], 0)


class CoreSdk(Scenarios, unittest.TestCase):
    def make(self, key, secret):
        return CoreApi(ENDPOINT, key, secret)

    def test_xml_response_parses(self):
        self.stopped_instance()
        body = self.api.describe_instances_xml()
        root = ET.fromstring(body)
        self.assertEqual(root.tag, "DescribeInstancesResponse")
        self.assertRegex(root.findtext("RequestId"), REQUEST_ID)
        self.assertGreaterEqual(int(root.findtext("TotalCount")), 1)
        self.assertIsNotNone(root.find("Instances/Instance/InstanceId"))

    def test_platform_action_refused_for_a_non_admin_key(self):
        i = self.stopped_instance()
        self.expect_error("Forbidden", 403, self.api.common, "LockInstance", InstanceId=i, LockReason="security")

    def test_unknown_access_key(self):
        stranger = CoreApi(ENDPOINT, "nobody", "x")
        self.expect_error("InvalidAccessKeyId.NotFound", 404, stranger.describe_instances)

    def test_wrong_secret(self):
        # The server answers SignatureDoesNotMatch with its string to sign; the
        # core SDK compares it with its own and, finding them equal, reports
        # that the secret is wrong: proof the two strings match byte for byte.
        wrong = CoreApi(ENDPOINT, "alice-key", "not-the-secret")
        self.expect_error("InvalidAccessKeySecret", 400, wrong.describe_instances)


class TeaSdkV3(Scenarios, unittest.TestCase):
    def make(self, key, secret):
        return TeaApi(ENDPOINT, key, secret)

    def test_wrong_secret(self):
        wrong = TeaApi(ENDPOINT, "alice-key", "not-the-secret")
        self.expect_error("SignatureDoesNotMatch", 400, wrong.describe_instances)


class TeaSdkV2(Scenarios, unittest.TestCase):
    def make(self, key, secret):
        return TeaApi(ENDPOINT, key, secret, signature_algorithm="v2")


if __name__ == "__main__":
    unittest.main()
