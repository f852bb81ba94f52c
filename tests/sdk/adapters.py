"""One interface over the official SDKs, so every scenario runs through each.

Each adapter calls its SDK exactly as an application would, and turns the
SDK's own exception (its error code, HTTP status and RequestId, as the SDK
reports them) into ApiError. Nothing here builds or signs a request by hand.
"""
import json

from aliyunsdkcore.client import AcsClient
from aliyunsdkcore.acs_exception.exceptions import ServerException
from aliyunsdkcore.request import CommonRequest
from aliyunsdkecs.request.v20140526 import (
    AttachDiskRequest, CreateDiskRequest, CreateInstanceRequest, CreateSnapshotRequest,
    DeleteInstanceRequest, DeleteInstancesRequest, DescribeDisksRequest, DescribeInstanceHistoryEventsRequest,
    DescribeInstancesRequest, DescribeSnapshotsRequest, ModifyInstanceAttributeRequest,
    ModifyInstanceAutoReleaseTimeRequest, ModifyInstanceChargeTypeRequest, RenewInstanceRequest,
    StartInstanceRequest, StopInstanceRequest,
)
from alibabacloud_tea_openapi.models import Config
from alibabacloud_tea_openapi import exceptions as tea_exceptions
from alibabacloud_ecs20140526.client import Client as TeaClient
from alibabacloud_ecs20140526 import models as m

REGION = "cn-hangzhou"


class ApiError(Exception):
    def __init__(self, code, status, request_id, message):
        super().__init__(f"{status} {code}: {message} ({request_id})")
        self.code, self.status, self.request_id, self.message = code, status, request_id, message


class CoreApi:
    """aliyun-python-sdk-core + aliyun-python-sdk-ecs: v1 (HMAC-SHA1) signatures."""

    name = "aliyun-python-sdk-core"
    # This SDK has no response models: bodies are JSON, parsed here.
    last_body = None

    def __init__(self, endpoint, key, secret):
        self.endpoint = endpoint
        self.client = AcsClient(key, secret, REGION)

    def _do(self, req):
        req.set_endpoint(self.endpoint)
        req.set_protocol_type("http")
        try:
            return json.loads(self.client.do_action_with_exception(req))
        except ServerException as e:
            raise ApiError(e.get_error_code(), e.get_http_status(), e.get_request_id(), e.get_error_msg())

    def create_instance(self, data_disks=(), prepaid_weeks=None, deletion_protection=None):
        r = CreateInstanceRequest.CreateInstanceRequest()
        r.set_InstanceType("ecs.g6.large")
        r.set_ImageId("aliyun_3_x64_20G_alibase_20240528.vhd")
        if data_disks:
            r.set_DataDisks([dict(Size=s, DeleteWithInstance=d) for s, d in data_disks])
        if prepaid_weeks:
            r.set_InstanceChargeType("PrePaid")
            r.set_Period(prepaid_weeks)
            r.set_PeriodUnit("Week")
        if deletion_protection is not None:
            r.set_DeletionProtection(deletion_protection)
        return self._do(r)

    def delete_instance(self, instance_id=None, force=None, dry_run=None, force_stop=None):
        r = DeleteInstanceRequest.DeleteInstanceRequest()
        if instance_id is not None:
            r.set_InstanceId(instance_id)
        if force is not None:
            r.set_Force(force)
        if force_stop is not None:
            r.set_ForceStop(force_stop)
        if dry_run is not None:
            r.set_DryRun(dry_run)
        return self._do(r)

    def delete_instances(self, ids, force=None, dry_run=None, force_stop=None):
        r = DeleteInstancesRequest.DeleteInstancesRequest()
        r.set_InstanceIds(ids)
        if force is not None:
            r.set_Force(force)
        if force_stop is not None:
            r.set_ForceStop(force_stop)
        if dry_run is not None:
            r.set_DryRun(dry_run)
        return self._do(r)

    def renew_instance(self, instance_id, period, period_unit=None):
        r = RenewInstanceRequest.RenewInstanceRequest()
        r.set_InstanceId(instance_id)
        r.set_Period(period)
        if period_unit:
            r.set_PeriodUnit(period_unit)
        return self._do(r)

    def modify_instance_auto_release_time(self, instance_id=None, auto_release_time=None):
        r = ModifyInstanceAutoReleaseTimeRequest.ModifyInstanceAutoReleaseTimeRequest()
        if instance_id is not None:
            r.set_InstanceId(instance_id)
        if auto_release_time is not None:
            r.set_AutoReleaseTime(auto_release_time)
        return self._do(r)

    def _charge_type_request(self, instance_ids, charge_type, period, period_unit, include_data_disks,
                             auto_pay, dry_run, client_token):
        r = ModifyInstanceChargeTypeRequest.ModifyInstanceChargeTypeRequest()
        if instance_ids is not None:
            r.set_InstanceIds(instance_ids)  # the JSON array text, as the SDK takes it
        for setter, value in [(r.set_InstanceChargeType, charge_type), (r.set_Period, period),
                              (r.set_PeriodUnit, period_unit), (r.set_IncludeDataDisks, include_data_disks),
                              (r.set_AutoPay, auto_pay), (r.set_DryRun, dry_run),
                              (r.set_ClientToken, client_token)]:
            if value is not None:
                setter(value)
        return r

    def modify_instance_charge_type(self, instance_ids=None, charge_type=None, period=None, period_unit=None,
                                    include_data_disks=None, auto_pay=None, dry_run=None, client_token=None):
        return self._do(self._charge_type_request(instance_ids, charge_type, period, period_unit,
                                                  include_data_disks, auto_pay, dry_run, client_token))

    def _history_events_request(self, instance_id, event_type, event_types, cycle_status, page_number, page_size):
        r = DescribeInstanceHistoryEventsRequest.DescribeInstanceHistoryEventsRequest()
        for setter, value in [(r.set_InstanceId, instance_id), (r.set_EventType, event_type),
                              (r.set_InstanceEventTypes, event_types), (r.set_EventCycleStatus, cycle_status),
                              (r.set_PageNumber, page_number), (r.set_PageSize, page_size)]:
            if value is not None:
                setter(value)
        return r

    def describe_instance_history_events(self, instance_id=None, event_type=None, event_types=None,
                                         cycle_status=None, page_number=None, page_size=None):
        return self._do(self._history_events_request(instance_id, event_type, event_types, cycle_status,
                                                     page_number, page_size))

    def start_instance(self, instance_id):
        r = StartInstanceRequest.StartInstanceRequest()
        r.set_InstanceId(instance_id)
        return self._do(r)

    def stop_instance(self, instance_id):
        r = StopInstanceRequest.StopInstanceRequest()
        r.set_InstanceId(instance_id)
        return self._do(r)

    def modify_instance_attribute(self, instance_id, deletion_protection):
        r = ModifyInstanceAttributeRequest.ModifyInstanceAttributeRequest()
        r.set_InstanceId(instance_id)
        r.set_DeletionProtection(deletion_protection)
        return self._do(r)

    def create_disk(self, size):
        r = CreateDiskRequest.CreateDiskRequest()
        r.set_Size(size)
        r.set_ZoneId("cn-hangzhou-h")
        return self._do(r)

    def attach_disk(self, instance_id, disk_id, delete_with_instance):
        r = AttachDiskRequest.AttachDiskRequest()
        r.set_InstanceId(instance_id)
        r.set_DiskId(disk_id)
        r.set_DeleteWithInstance(delete_with_instance)
        return self._do(r)

    def create_snapshot(self, disk_id):
        r = CreateSnapshotRequest.CreateSnapshotRequest()
        r.set_DiskId(disk_id)
        return self._do(r)

    def describe_instances(self, ids=None, status=None):
        r = DescribeInstancesRequest.DescribeInstancesRequest()
        r.set_PageSize(100)
        if ids is not None:
            r.set_InstanceIds(json.dumps(ids))
        if status:
            r.set_Status(status)
        return self._do(r)

    def describe_disks(self, instance_id=None):
        r = DescribeDisksRequest.DescribeDisksRequest()
        r.set_PageSize(100)
        if instance_id:
            r.set_InstanceId(instance_id)
        return self._do(r)

    def describe_snapshots(self, disk_id=None):
        r = DescribeSnapshotsRequest.DescribeSnapshotsRequest()
        r.set_PageSize(100)
        if disk_id:
            r.set_DiskId(disk_id)
        return self._do(r)

    def common(self, action, **params):
        """Any action through the SDK's CommonRequest (platform actions, AdvanceClock)."""
        r = CommonRequest(domain=self.endpoint, version="2014-05-26", action_name=action)
        r.set_protocol_type("http")
        r.set_method("POST")
        for k, v in params.items():
            r.add_query_param(k, v)
        try:
            return json.loads(self.client.do_action_with_exception(r))
        except ServerException as e:
            raise ApiError(e.get_error_code(), e.get_http_status(), e.get_request_id(), e.get_error_msg())

    def describe_instances_xml(self):
        """The raw XML body (the core SDK's do_action keeps the requested format)."""
        return self._xml(DescribeInstancesRequest.DescribeInstancesRequest())

    def modify_instance_charge_type_xml(self, instance_ids, charge_type=None, period=None, period_unit=None):
        return self._xml(self._charge_type_request(instance_ids, charge_type, period, period_unit,
                                                   None, None, None, None))

    def describe_instance_history_events_xml(self, instance_id=None):
        return self._xml(self._history_events_request(instance_id, None, None, None, None, None))

    def _xml(self, r):
        r.set_endpoint(self.endpoint)
        r.set_protocol_type("http")
        r.set_accept_format("XML")
        return self.client.do_action(r)


class TeaApi:
    """alibabacloud-ecs20140526: v3 (ACS3-HMAC-SHA256) by default, or the
    classic RPC signature with signature_algorithm='v2'."""

    def __init__(self, endpoint, key, secret, signature_algorithm=None):
        cfg = Config(access_key_id=key, access_key_secret=secret, endpoint=endpoint,
                     protocol="http", region_id=REGION)
        if signature_algorithm:
            cfg.signature_algorithm = signature_algorithm
        self.client = TeaClient(cfg)
        self.name = f"alibabacloud-ecs20140526 ({signature_algorithm or 'v3'})"
        # The body of the last successful response, as the SDK's model parsed it.
        self.last_body = None

    def _do(self, call, request):
        try:
            response = call(request)
        except (tea_exceptions.ClientException, tea_exceptions.ServerException) as e:
            data = e.data or {}
            raise ApiError(e.code, e.status_code, e.request_id or data.get("RequestId"), data.get("Message"))
        assert response.status_code == 200, response.status_code
        self.last_body = response.body
        return response.body.to_map()

    def create_instance(self, data_disks=(), prepaid_weeks=None, deletion_protection=None):
        req = m.CreateInstanceRequest(region_id=REGION, instance_type="ecs.g6.large",
                                      image_id="aliyun_3_x64_20G_alibase_20240528.vhd")
        if data_disks:
            req.data_disk = [m.CreateInstanceRequestDataDisk(size=s, delete_with_instance=d) for s, d in data_disks]
        if prepaid_weeks:
            req.instance_charge_type = "PrePaid"
            req.period = prepaid_weeks
            req.period_unit = "Week"
        if deletion_protection is not None:
            req.deletion_protection = deletion_protection
        return self._do(self.client.create_instance, req)

    def delete_instance(self, instance_id=None, force=None, dry_run=None, force_stop=None):
        return self._do(self.client.delete_instance, m.DeleteInstanceRequest(
            instance_id=instance_id, force=force, force_stop=force_stop, dry_run=dry_run))

    def delete_instances(self, ids, force=None, dry_run=None, force_stop=None):
        return self._do(self.client.delete_instances, m.DeleteInstancesRequest(
            region_id=REGION, instance_id=ids, force=force, force_stop=force_stop, dry_run=dry_run))

    def renew_instance(self, instance_id, period, period_unit=None):
        return self._do(self.client.renew_instance, m.RenewInstanceRequest(
            instance_id=instance_id, period=period, period_unit=period_unit))

    def modify_instance_auto_release_time(self, instance_id=None, auto_release_time=None):
        return self._do(self.client.modify_instance_auto_release_time, m.ModifyInstanceAutoReleaseTimeRequest(
            region_id=REGION, instance_id=instance_id, auto_release_time=auto_release_time))

    def modify_instance_charge_type(self, instance_ids=None, charge_type=None, period=None, period_unit=None,
                                    include_data_disks=None, auto_pay=None, dry_run=None, client_token=None):
        return self._do(self.client.modify_instance_charge_type, m.ModifyInstanceChargeTypeRequest(
            region_id=REGION, instance_ids=instance_ids, instance_charge_type=charge_type, period=period,
            period_unit=period_unit, include_data_disks=include_data_disks, auto_pay=auto_pay, dry_run=dry_run,
            client_token=client_token))

    def describe_instance_history_events(self, instance_id=None, event_type=None, event_types=None,
                                         cycle_status=None, page_number=None, page_size=None):
        return self._do(self.client.describe_instance_history_events, m.DescribeInstanceHistoryEventsRequest(
            region_id=REGION, instance_id=instance_id, event_type=event_type, instance_event_type=event_types,
            event_cycle_status=cycle_status, page_number=page_number, page_size=page_size))

    def start_instance(self, instance_id):
        return self._do(self.client.start_instance, m.StartInstanceRequest(instance_id=instance_id))

    def stop_instance(self, instance_id):
        return self._do(self.client.stop_instance, m.StopInstanceRequest(instance_id=instance_id))

    def modify_instance_attribute(self, instance_id, deletion_protection):
        return self._do(self.client.modify_instance_attribute,
                        m.ModifyInstanceAttributeRequest(instance_id=instance_id, deletion_protection=deletion_protection))

    def create_disk(self, size):
        return self._do(self.client.create_disk, m.CreateDiskRequest(region_id=REGION, zone_id="cn-hangzhou-h", size=size))

    def attach_disk(self, instance_id, disk_id, delete_with_instance):
        return self._do(self.client.attach_disk, m.AttachDiskRequest(
            instance_id=instance_id, disk_id=disk_id, delete_with_instance=delete_with_instance))

    def create_snapshot(self, disk_id):
        return self._do(self.client.create_snapshot, m.CreateSnapshotRequest(disk_id=disk_id))

    def describe_instances(self, ids=None, status=None):
        return self._do(self.client.describe_instances, m.DescribeInstancesRequest(
            region_id=REGION, page_size=100, instance_ids=json.dumps(ids) if ids is not None else None, status=status))

    def describe_disks(self, instance_id=None):
        return self._do(self.client.describe_disks, m.DescribeDisksRequest(
            region_id=REGION, page_size=100, instance_id=instance_id))

    def describe_snapshots(self, disk_id=None):
        return self._do(self.client.describe_snapshots, m.DescribeSnapshotsRequest(
            region_id=REGION, page_size=100, disk_id=disk_id))
