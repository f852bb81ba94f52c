"""Both official Python SDKs, unchanged, against the fixture's server: an
instance is created, cannot be released while its 5 s creation runs, and is
released once the fixture has moved the clock past it."""
import json

import pytest
from aliyunsdkcore.acs_exception.exceptions import ServerException
from aliyunsdkecs.request.v20140526.CreateInstanceRequest import CreateInstanceRequest
from aliyunsdkecs.request.v20140526.DeleteInstanceRequest import DeleteInstanceRequest
from aliyunsdkecs.request.v20140526.DescribeInstancesRequest import DescribeInstancesRequest
from alibabacloud_ecs20140526 import models
from alibabacloud_ecs20140526.client import Client
from alibabacloud_tea_openapi import exceptions as tea_exceptions

IMAGE = "aliyun_3_x64_20G_alibase_20240528.vhd"


def test_aliyun_python_sdk_core_releases_an_instance_once_the_clock_has_moved(ecs_ledger_server):
    server = ecs_ledger_server
    client = server.acs_client()

    def do(request):
        return json.loads(client.do_action_with_exception(server.acs_request(request)))

    create = CreateInstanceRequest()
    create.set_InstanceType("ecs.g6.large")
    create.set_ImageId(IMAGE)
    instance = do(create)["InstanceId"]

    def delete():
        request = DeleteInstanceRequest()
        request.set_InstanceId(instance)
        return do(request)

    with pytest.raises(ServerException) as refused:
        delete()
    assert refused.value.get_error_code() == "IncorrectInstanceStatus.Initializing"
    assert refused.value.get_http_status() == 403

    server.advance(6)
    released = delete()
    assert released["RequestId"]
    describe = DescribeInstancesRequest()
    describe.set_InstanceIds(json.dumps([instance]))
    assert do(describe)["TotalCount"] == 0


@pytest.mark.parametrize("signature", [None, "v2"], ids=["v3", "v2"])
def test_alibabacloud_ecs20140526_releases_an_instance_once_the_clock_has_moved(ecs_ledger_server, signature):
    server = ecs_ledger_server
    overrides = {"signature_algorithm": signature} if signature else {}
    ecs = Client(server.tea_config(**overrides))
    created = ecs.create_instance(models.CreateInstanceRequest(
        region_id=server.region, instance_type="ecs.g6.large", image_id=IMAGE))
    instance = created.body.instance_id

    with pytest.raises((tea_exceptions.ClientException, tea_exceptions.ServerException)) as refused:
        ecs.delete_instance(models.DeleteInstanceRequest(instance_id=instance))
    assert refused.value.code == "IncorrectInstanceStatus.Initializing"

    server.advance(5)  # the creation takes exactly 5 s
    ecs.delete_instance(models.DeleteInstanceRequest(instance_id=instance))
    described = ecs.describe_instances(models.DescribeInstancesRequest(
        region_id=server.region, instance_ids=json.dumps([instance])))
    assert described.body.total_count == 0


def test_a_tester_key_cannot_move_the_clock(ecs_ledger_server):
    import ecs_ledger

    with pytest.raises(ecs_ledger.ApiError) as refused:
        ecs_ledger_server.call("AdvanceClock", Seconds=10)
    assert (refused.value.status, refused.value.code) == (403, "Forbidden")
