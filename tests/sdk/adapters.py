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
    DeleteInstanceRequest, DeleteInstancesRequest, DescribeDisksRequest, DescribeInstancesRequest,
    DescribeSnapshotsRequest, ModifyInstanceAttributeRequest, StartInstanceRequest, StopInstanceRequest,
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

    def delete_instance(self, instance_id=None, force=None, dry_run=None):
        r = DeleteInstanceRequest.DeleteInstanceRequest()
        if instance_id is not None:
            r.set_InstanceId(instance_id)
        if force is not None:
            r.set_Force(force)
        if dry_run is not None:
            r.set_DryRun(dry_run)
        return self._do(r)

    def delete_instances(self, ids, force=None, dry_run=None):
        r = DeleteInstancesRequest.DeleteInstancesRequest()
        r.set_InstanceIds(ids)
        if force is not None:
            r.set_Force(force)
        if dry_run is not None:
            r.set_DryRun(dry_run)
        return self._do(r)

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
        r = DescribeInstancesRequest.DescribeInstancesRequest()
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

    def _do(self, call, request):
        try:
            response = call(request)
        except (tea_exceptions.ClientException, tea_exceptions.ServerException) as e:
            data = e.data or {}
            raise ApiError(e.code, e.status_code, e.request_id or data.get("RequestId"), data.get("Message"))
        assert response.status_code == 200, response.status_code
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

    def delete_instance(self, instance_id=None, force=None, dry_run=None):
        return self._do(self.client.delete_instance,
                        m.DeleteInstanceRequest(instance_id=instance_id, force=force, dry_run=dry_run))

    def delete_instances(self, ids, force=None, dry_run=None):
        return self._do(self.client.delete_instances,
                        m.DeleteInstancesRequest(region_id=REGION, instance_id=ids, force=force, dry_run=dry_run))

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
