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
from datetime import datetime, timedelta, timezone

from adapters import ApiError, CoreApi, TeaApi

ENDPOINT = os.environ["ECS_ENDPOINT"]
REQUEST_ID = re.compile(r"^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$")
EVENT_ID = re.compile(r"^e-[0-9a-z]{20}$")
ORDER_ID = re.compile(r"^[0-9]{15}$")
DAY = timedelta(days=1)
SECOND = timedelta(seconds=1)


def admin():
    """Platform actions and the manual clock, with the admin key."""
    return CoreApi(ENDPOINT, "ops-key", "ops-secret")


def advance(seconds):
    admin().common("AdvanceClock", Seconds=str(seconds))


_routes = iter(range(1, 250))


def next_cidr():
    return f"10.{next(_routes)}.0.0/16"


def ledger_now():
    """The ledger time: AdvanceClock by no seconds answers it."""
    return datetime.strptime(admin().common("AdvanceClock", Seconds="0")["Time"],
                             "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)


def iso(t):
    """`yyyy-MM-ddTHH:mm:ssZ`, as ECS takes and shows times."""
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def minutes(t):
    """`yyyy-MM-ddTHH:mmZ`, as DescribeInstances shows ExpiredTime."""
    return t.strftime("%Y-%m-%dT%H:%MZ")


def advance_to(t):
    admin().common("AdvanceClock", To=iso(t))


def caused_by(request_id):
    """Remembers the RequestId of a release that waits for an orderly stop
    (ForceStop=false): run.py checks that the log's InstanceReleaseTriggered
    events name exactly these requests."""
    path = os.environ.get("ECS_CAUSED_BY")
    if path:
        with open(path, "a") as f:
            f.write(request_id + "\n")


def route(instance_id, table="vtb-sdktest00002"):
    """A route entry to the instance (a platform action: the admin key). Returns how to delete it."""
    cidr = next_cidr()
    admin().common("CreateRouteEntry", RouteTableId=table, DestinationCidrBlock=cidr,
                   NextHopId=instance_id, NextHopType="Instance")
    return dict(RouteTableId=table, DestinationCidrBlock=cidr)


# The codes terraform-provider-alicloud's alicloud_instance retries DeleteInstance on.
TERRAFORM_RETRYABLE = {"IncorrectInstanceStatus", "IncorrectInstanceStatus.Initializing",
                       "DependencyViolation.RouteEntry"}


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

    # ------------------------------------------------------------ §7 the release lifecycle

    def instance_of(self, i):
        """The instance as DescribeInstances shows it; None once released."""
        found = self.api.describe_instances(ids=[i])["Instances"]["Instance"]
        return found[0] if found else None

    def disks_of(self, i):
        return self.api.describe_disks(instance_id=i)["Disks"]["Disk"]

    def model(self):
        """The last response body as the SDK's model parsed it (None for an SDK without models)."""
        return self.api.last_body

    def test_7_1_force_stop_false_releases_after_the_stop_completes(self):
        i = self.running_instance(data_disks=[(40, True)])
        self.expect_error("DryRunOperation", 400, self.api.delete_instance, instance_id=i, force=True,
                          force_stop=False, dry_run=True)
        self.assertEqual(self.instance_of(i)["Status"], "Running")
        accepted = self.api.delete_instance(instance_id=i, force=True, force_stop=False)
        self.assertEqual(list(accepted), ["RequestId"])
        self.assertRegex(accepted["RequestId"], REQUEST_ID)
        caused_by(accepted["RequestId"])
        # Meanwhile: Stopping; no second release; no new dependency.
        self.assertEqual(self.instance_of(i)["Status"], "Stopping")
        self.expect_error("IncorrectInstanceStatus", 403, self.api.delete_instance, instance_id=i, force=True,
                          force_stop=False)
        self.expect_error("IncorrectInstanceStatus", 403, self.api.delete_instance, instance_id=i, force=True)
        self.expect_error("IncorrectInstanceStatus", 403, admin().common, "CreateRouteEntry",
                          RouteTableId="vtb-sdktest00002", DestinationCidrBlock=next_cidr(), NextHopId=i,
                          NextHopType="Instance")
        self.expect_error("IncorrectInstanceStatus", 403, admin().common, "AddBackendServers",
                          LoadBalancerId="lb-sdktest000002",
                          BackendServers=json.dumps([{"ServerId": i, "Weight": "100"}]))
        advance(2)
        self.assertEqual(self.instance_of(i)["Status"], "Stopping")
        # The stop completes (3 s): the release follows.
        advance(1)
        self.assertIsNone(self.instance_of(i))
        self.assertEqual(self.disks_of(i), [])
        self.expect_error("InvalidInstanceId.NotFound", 404, self.api.delete_instance, instance_id=i, force=True,
                          force_stop=False)

    def test_7_1_delete_instances_with_force_stop_false_stops_each_running_instance_first(self):
        running, stopped = self.running_instance(), self.stopped_instance()
        self.expect_error("DRYRUN.SUCCESS", 400, self.api.delete_instances, [running, stopped], force=True,
                          force_stop=False, dry_run=True)
        accepted = self.api.delete_instances([running, stopped], force=True, force_stop=False)
        caused_by(accepted["RequestId"])
        self.assertIsNone(self.instance_of(stopped))
        self.assertEqual(self.instance_of(running)["Status"], "Stopping")
        advance(3)
        self.assertIsNone(self.instance_of(running))

    def test_7_2_modify_instance_auto_release_time_checks_in_order(self):
        i = self.stopped_instance()
        prepaid = self.stopped_instance(prepaid_weeks=1)
        now = ledger_now()
        call = self.api.modify_instance_auto_release_time
        # In order: each call would also fail every check after its own.
        self.expect_error("MissingParameter", 400, call, auto_release_time="junk")
        self.expect_error("InvalidParameter", 400, call, instance_id="i-NOPE", auto_release_time="junk")
        self.expect_error("InvalidInstanceId.NotFound", 404, call, instance_id="i-doesnotexist01",
                          auto_release_time="junk")
        bob = self.make("bob-key", "bob-secret")
        self.expect_error("InvalidInstanceId.NotFound", 404, bob.modify_instance_auto_release_time, instance_id=i,
                          auto_release_time="junk")
        self.expect_error("ChargeTypeViolation", 403, call, instance_id=prepaid, auto_release_time="junk")
        for bad in ["junk", iso(now + timedelta(minutes=29)), iso(now + timedelta(days=3 * 366)),
                    iso(now - DAY), (now + DAY).strftime("%Y-%m-%d %H:%M:%S"),
                    (now + DAY).strftime("%Y-%m-%dT%H:%M:%S+08:00")]:
            e = self.expect_error("InvalidAutoReleaseTime.Malformed", 400, call, instance_id=i, auto_release_time=bad)
            self.assertEqual(e.message, "The specified parameter autoReleaseTime is not valid.")
        self.assertEqual(self.instance_of(i)["AutoReleaseTime"], "")
        # Seconds are dropped; the minute form is taken; absent or empty cancels.
        t = (now + timedelta(hours=1)).replace(second=37)
        done = call(instance_id=i, auto_release_time=iso(t))
        self.assertEqual(list(done), ["RequestId"])
        self.assertEqual(self.instance_of(i)["AutoReleaseTime"], iso(t.replace(second=0)))
        call(instance_id=i, auto_release_time="")
        self.assertEqual(self.instance_of(i)["AutoReleaseTime"], "")
        call(instance_id=i, auto_release_time=minutes(t))
        self.assertEqual(self.instance_of(i)["AutoReleaseTime"], iso(t.replace(second=0)))
        call(instance_id=i)
        self.assertEqual(self.instance_of(i)["AutoReleaseTime"], "")
        advance_to(t + timedelta(minutes=1))
        self.assertEqual(self.instance_of(i)["Status"], "Stopped", "cancelled: not released")

    def test_7_2_auto_release_time_releases_at_that_time_despite_deletion_protection(self):
        i = self.running_instance(deletion_protection=True, data_disks=[(40, False)])
        kept = [d["DiskId"] for d in self.disks_of(i) if d["Type"] == "data"]
        entry = route(i)
        admin().common("AddBackendServers", LoadBalancerId="lb-sdktest000002",
                       BackendServers=json.dumps([{"ServerId": i, "Weight": "100"}]))
        t = (ledger_now() + timedelta(minutes=31)).replace(second=0)
        self.api.modify_instance_auto_release_time(instance_id=i, auto_release_time=iso(t))
        shown = self.instance_of(i)
        self.assertEqual(shown["AutoReleaseTime"], iso(t))
        self.assertTrue(shown["DeletionProtection"])
        # Deletion protection still guards a manual release.
        self.expect_error("InvalidOperation.DeletionProtection", 400, self.api.delete_instance, instance_id=i,
                          force=True)
        advance_to(t - SECOND)
        self.assertEqual(self.instance_of(i)["Status"], "Running")
        advance_to(t)
        self.assertIsNone(self.instance_of(i))
        # Its route entry was removed first; the disk it kept is Available.
        self.expect_error("InvalidRouteEntry.NotFound", 400, admin().common, "DeleteRouteEntry", **entry)
        disk = self.api.describe_disks()["Disks"]["Disk"]
        self.assertEqual([d["Status"] for d in disk if d["DiskId"] in kept], ["Available"])

    def test_7_3_subscription_not_renewed_is_released_15_days_after_expiry(self):
        start = ledger_now()
        lapsed = self.api.create_instance(prepaid_weeks=1)["InstanceId"]
        renewed = self.api.create_instance(prepaid_weeks=1)["InstanceId"]
        advance(10)
        self.api.start_instance(lapsed)
        advance(10)
        route(lapsed)
        expiry = start + timedelta(weeks=1)
        self.assertEqual(self.instance_of(lapsed)["ExpiredTime"], minutes(expiry))
        self.expect_error("ChargeTypeViolation", 403, self.api.delete_instance, instance_id=lapsed, force=True)
        advance_to(expiry)
        shown = self.instance_of(lapsed)
        self.assertEqual(shown["Status"], "Stopped")
        self.assertEqual([lock["LockReason"] for lock in shown["OperationLocks"]["LockReason"]], ["financial"])
        advance_to(expiry + 10 * DAY)
        self.api.renew_instance(renewed, 1, "Week")
        advance_to(expiry + 15 * DAY - SECOND)
        self.assertEqual(self.instance_of(lapsed)["Status"], "Stopped", "kept for 15 days")
        advance_to(expiry + 15 * DAY)
        self.assertIsNone(self.instance_of(lapsed))
        self.assertEqual(self.disks_of(lapsed), [])
        self.assertEqual(self.instance_of(renewed)["OperationLocks"]["LockReason"], [])

    def test_7_4_modify_instance_charge_type_prepaid_to_postpaid_then_release(self):
        i = self.stopped_instance(prepaid_weeks=1, data_disks=[(40, True)])
        ids = json.dumps([i])
        self.expect_error("ChargeTypeViolation", 403, self.api.delete_instance, instance_id=i)
        self.expect_error("DryRunOperation", 400, self.api.modify_instance_charge_type, instance_ids=ids,
                          charge_type="PostPaid", dry_run=True)
        self.assertEqual(self.instance_of(i)["InstanceChargeType"], "PrePaid")
        body = self.api.modify_instance_charge_type(instance_ids=ids, charge_type="PostPaid")
        self.assertRegex(body["RequestId"], REQUEST_ID)
        self.assertNotIn("OrderId", body, "no order to pay-as-you-go")
        self.assertEqual(body["FeeOfInstances"],
                         {"FeeOfInstance": [{"InstanceId": i, "Currency": "CNY", "Fee": "0"}]})
        model = self.model()
        if model is not None:
            fee = model.fee_of_instances.fee_of_instance[0]
            self.assertEqual((fee.instance_id, fee.currency, fee.fee), (i, "CNY", "0"))
            self.assertIsNone(model.order_id)
            self.assertEqual(model.request_id, body["RequestId"])
        shown = self.instance_of(i)
        self.assertEqual(shown["InstanceChargeType"], "PostPaid")
        self.assertEqual(shown["ExpiredTime"], "2099-12-31T15:59Z")
        self.assertEqual({d["DiskChargeType"] for d in self.disks_of(i)}, {"PostPaid"})
        e = self.expect_error("InvalidParameter", 400, self.api.modify_instance_charge_type, instance_ids=ids,
                              charge_type="PostPaid")
        self.assertIn("InstanceChargeType", e.message)
        self.assertIn(i, e.message)
        self.api.delete_instance(instance_id=i)
        self.assertIsNone(self.instance_of(i))

    def test_7_4_modify_instance_charge_type_postpaid_to_prepaid_sets_expired_time_and_clears_auto_release_time(self):
        i = self.stopped_instance(data_disks=[(40, True)])
        now = ledger_now()
        self.api.modify_instance_auto_release_time(instance_id=i, auto_release_time=iso(now + DAY))
        ids = json.dumps([i])
        e = self.expect_error("MissingParameter", 400, self.api.modify_instance_charge_type, instance_ids=ids)
        self.assertIn("Period", e.message)
        body = self.api.modify_instance_charge_type(instance_ids=ids, charge_type="PrePaid", period=1,
                                                    period_unit="Week", auto_pay=True)
        self.assertRegex(body["OrderId"], ORDER_ID)
        self.assertEqual(body["FeeOfInstances"]["FeeOfInstance"][0]["InstanceId"], i)
        model = self.model()
        if model is not None:
            self.assertEqual(model.order_id, body["OrderId"])
            self.assertEqual(model.fee_of_instances.fee_of_instance[0].instance_id, i)
        shown = self.instance_of(i)
        self.assertEqual(shown["InstanceChargeType"], "PrePaid")
        self.assertEqual(shown["ExpiredTime"], minutes(now + timedelta(weeks=1)))
        self.assertEqual(shown["AutoReleaseTime"], "", "cleared")
        self.assertEqual([(d["Type"], d["DiskChargeType"]) for d in self.disks_of(i)],
                         [("system", "PrePaid"), ("data", "PostPaid")], "data disks need IncludeDataDisks")
        self.expect_error("ChargeTypeViolation", 403, self.api.modify_instance_auto_release_time, instance_id=i,
                          auto_release_time=iso(now + 2 * DAY))
        advance_to(now + 2 * DAY)
        self.assertEqual(self.instance_of(i)["Status"], "Stopped", "not released at the old time")

    def test_7_4_modify_instance_charge_type_is_all_or_nothing_and_names_the_first_failure(self):
        a, b = self.stopped_instance(), self.stopped_instance()
        prepaid = self.stopped_instance(prepaid_weeks=1)
        call = self.api.modify_instance_charge_type
        e = self.expect_error("InvalidInstanceId.NotFound", 404, call,
                              instance_ids=json.dumps([a, "i-doesnotexist01", b]), period=1)
        self.assertIn("i-doesnotexist01", e.message)
        e = self.expect_error("InvalidParameter", 400, call, instance_ids=json.dumps([a, prepaid]), period=1)
        self.assertIn(prepaid, e.message)
        self.api.start_instance(b)
        e = self.expect_error("IncorrectInstanceStatus", 403, call, instance_ids=json.dumps([a, b]), period=1)
        self.assertIn(b, e.message)
        self.assertEqual(self.instance_of(a)["InstanceChargeType"], "PostPaid", "all or nothing")
        self.expect_error("MissingParameter", 400, call, period=1)
        self.expect_error("InvalidParameter", 400, call, instance_ids="i-1234", period=1)
        self.expect_error("InvalidParameter", 400, call, instance_ids=json.dumps([a, a]), period=1)
        self.expect_error("InvalidParameter", 400, call, instance_ids=json.dumps([a]), charge_type="Free")
        advance(8 * 24 * 3600)
        e = self.expect_error("InstanceExpiredOrInArrears", 403, call, instance_ids=json.dumps([prepaid]),
                              charge_type="PostPaid")
        self.assertIn(prepaid, e.message)
        body = call(instance_ids=json.dumps([b, a]), period=1, period_unit="Month")
        self.assertEqual([f["InstanceId"] for f in body["FeeOfInstances"]["FeeOfInstance"]], [b, a])
        self.assertEqual(self.instance_of(a)["InstanceChargeType"], "PrePaid")

    def test_7_5_describe_instance_history_events_lists_expiry_stops_and_deletes_and_keeps_them(self):
        i = self.running_instance(prepaid_weeks=1)
        expiry = datetime.strptime(self.instance_of(i)["ExpiredTime"], "%Y-%m-%dT%H:%MZ").replace(tzinfo=timezone.utc)
        s = self.stopped_instance(prepaid_weeks=1)
        empty = self.api.describe_instance_history_events(instance_id=i)
        self.assertEqual(empty["TotalCount"], 0)
        self.assertEqual(empty["InstanceSystemEventSet"]["InstanceSystemEventType"], [])
        advance(8 * 24 * 3600)
        advance(15 * 24 * 3600)
        self.assertIsNone(self.instance_of(i), "released")
        body = self.api.describe_instance_history_events(instance_id=i)
        self.assertRegex(body["RequestId"], REQUEST_ID)
        self.assertEqual((body["TotalCount"], body["PageNumber"], body["PageSize"]), (2, 1, 10))
        events = body["InstanceSystemEventSet"]["InstanceSystemEventType"]
        self.assertEqual([e["EventType"]["Name"] for e in events],
                         ["InstanceExpiration.Stop", "InstanceExpiration.Delete"])
        for e in events:
            self.assertRegex(e["EventId"], EVENT_ID)
            self.assertEqual(e["EventCycleStatus"], {"Name": "Executed"})
            self.assertEqual((e["InstanceId"], e["ResourceType"]), (i, "instance"))
            self.assertEqual(e["NotBefore"], e["EventPublishTime"])
            self.assertEqual(e["NotBefore"], e["EventFinishTime"])
            self.assertTrue(e["Reason"])
        stopped_at = datetime.strptime(events[0]["NotBefore"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
        released_at = datetime.strptime(events[1]["NotBefore"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
        self.assertEqual(minutes(stopped_at), minutes(expiry))
        self.assertEqual(released_at - stopped_at, 15 * DAY)
        model = self.model()
        if model is not None:
            first = model.instance_system_event_set.instance_system_event_type[0]
            self.assertEqual(first.event_type.name, "InstanceExpiration.Stop")
            self.assertEqual(first.event_cycle_status.name, "Executed")
            self.assertEqual(first.event_id, events[0]["EventId"])
            self.assertEqual(model.total_count, 2)
        # Filters and paging.
        history = self.api.describe_instance_history_events
        self.assertEqual(history(instance_id=s)["TotalCount"], 1, "a stopped instance is not stopped by expiry")
        self.assertEqual(history(instance_id=i, event_type="InstanceExpiration.Delete")["TotalCount"], 1)
        self.assertEqual(history(instance_id=s, event_types=["InstanceExpiration.Stop"])["TotalCount"], 0)
        self.assertEqual(history(instance_id=i, event_types=["InstanceExpiration.Stop", "InstanceExpiration.Delete"])
                         ["TotalCount"], 2)
        self.assertEqual(history(instance_id=i, cycle_status="Executed")["TotalCount"], 2)
        self.assertEqual(history(instance_id=i, cycle_status="Scheduled")["TotalCount"], 0)
        page = history(instance_id=i, page_size=1, page_number=2)
        self.assertEqual((page["TotalCount"], page["PageNumber"], page["PageSize"]), (2, 2, 1))
        self.assertEqual([e["EventId"] for e in page["InstanceSystemEventSet"]["InstanceSystemEventType"]],
                         [events[1]["EventId"]])
        bob = self.make("bob-key", "bob-secret")
        self.assertEqual(bob.describe_instance_history_events(instance_id=i)["TotalCount"], 0)

    # ------------------------------------------------------------ Terraform

    def test_terraform_force_delete_of_a_subscription(self):
        """`terraform destroy` of an alicloud_instance with instance_charge_type = "PrePaid" and
        force_delete = true, as terraform-provider-alicloud carries it out: ModifyInstanceChargeType to
        PostPaid (with the provider's ClientToken, IncludeDataDisks, AutoPay and DryRun), DescribeInstances
        until the charge type shows, DeleteInstance with Force retried on the provider's retryable codes
        (waiting a second between tries), then DescribeInstances until the instance is gone."""
        i = self.running_instance(prepaid_weeks=4, data_disks=[(40, True)])
        entry = route(i, table="vtb-terraform0001")
        convert = dict(instance_ids=json.dumps([i]), charge_type="PostPaid", include_data_disks=False,
                       auto_pay=True, dry_run=False, client_token=f"terraform-modify-instance-charge-type-{i}")
        converted = self.api.modify_instance_charge_type(**convert)
        self.assertNotIn("OrderId", converted)
        for _ in range(36):  # the provider's 3 minutes, 5 s apart
            if self.instance_of(i)["InstanceChargeType"] == "PostPaid":
                break
            advance(5)
        else:
            self.fail("the charge type never showed PostPaid")
        # A destroy run again after a failure sends the same ClientToken: the same answer.
        self.assertEqual(self.api.modify_instance_charge_type(**convert)["RequestId"], converted["RequestId"])
        # An operator stops the instance meanwhile.
        self.api.stop_instance(i)
        seen = []
        for _ in range(60):
            try:
                self.api.delete_instance(instance_id=i, force=True)
                break
            except ApiError as e:
                if e.code == "InvalidInstanceId.NotFound":
                    break
                self.assertIn(e.code, TERRAFORM_RETRYABLE, f"{self.api.name}: {e}")
                seen.append(e.code)
                if seen.count("DependencyViolation.RouteEntry") == 2:
                    admin().common("DeleteRouteEntry", **entry)
                advance(1)
        else:
            self.fail(f"DeleteInstance never succeeded: {seen}")
        self.assertEqual(seen, ["IncorrectInstanceStatus"] * 3 + ["DependencyViolation.RouteEntry"] * 2)
        for _ in range(60):
            try:
                if self.api.describe_instances(ids=[i])["TotalCount"] == 0:
                    break
            except ApiError as e:
                if e.code == "InvalidInstanceId.NotFound":
                    break
                raise
            advance(10)
        else:
            self.fail("the instance never went away")
        self.assertEqual(self.disks_of(i), [])

    def test_terraform_delete_retries_while_the_instance_initializes(self):
        """A destroy right after a create: IncorrectInstanceStatus.Initializing is retried until the
        creation completes (5 s)."""
        i = self.api.create_instance()["InstanceId"]
        seen = []
        for _ in range(30):
            try:
                self.api.delete_instance(instance_id=i, force=True)
                break
            except ApiError as e:
                self.assertIn(e.code, TERRAFORM_RETRYABLE, f"{self.api.name}: {e}")
                seen.append(e.code)
                advance(1)
        self.assertEqual(seen, ["IncorrectInstanceStatus.Initializing"] * 5)
        self.assertIsNone(self.instance_of(i))

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

    def test_xml_bodies_of_the_lifecycle_actions_parse(self):
        i = self.stopped_instance(prepaid_weeks=1)
        root = ET.fromstring(self.api.modify_instance_charge_type_xml(json.dumps([i]), charge_type="PostPaid"))
        self.assertEqual(root.tag, "ModifyInstanceChargeTypeResponse")
        self.assertRegex(root.findtext("RequestId"), REQUEST_ID)
        self.assertIsNone(root.find("OrderId"))
        fees = root.findall("FeeOfInstances/FeeOfInstance")
        self.assertEqual([(f.findtext("InstanceId"), f.findtext("Currency"), f.findtext("Fee")) for f in fees],
                         [(i, "CNY", "0")])
        root = ET.fromstring(self.api.modify_instance_charge_type_xml(json.dumps([i]), period=1, period_unit="Week"))
        self.assertRegex(root.findtext("OrderId"), ORDER_ID)
        j = self.running_instance(prepaid_weeks=1)
        advance(8 * 24 * 3600)
        root = ET.fromstring(self.api.describe_instance_history_events_xml(instance_id=j))
        self.assertEqual(root.tag, "DescribeInstanceHistoryEventsResponse")
        self.assertEqual(root.findtext("TotalCount"), "1")
        event = root.find("InstanceSystemEventSet/InstanceSystemEventType")
        self.assertEqual(event.findtext("EventType/Name"), "InstanceExpiration.Stop")
        self.assertEqual(event.findtext("EventCycleStatus/Name"), "Executed")
        self.assertEqual(event.findtext("InstanceId"), j)
        self.assertRegex(event.findtext("EventId"), EVENT_ID)
        empty = ET.fromstring(self.api.describe_instance_history_events_xml(instance_id=i))
        self.assertEqual(empty.findtext("TotalCount"), "0")
        self.assertIsNotNone(empty.find("InstanceSystemEventSet"))

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
