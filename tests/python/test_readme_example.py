"""The README's "Testing with Python" example, exactly as a tester writes it."""
from alibabacloud_ecs20140526.client import Client
from alibabacloud_ecs20140526.models import CreateInstanceRequest, DeleteInstanceRequest


def test_release(ecs_ledger_server):
    ecs = Client(ecs_ledger_server.tea_config())
    created = ecs.create_instance(CreateInstanceRequest(region_id="cn-hangzhou", instance_type="ecs.g6.large"))
    ecs_ledger_server.advance(10)  # past the 5 s creation
    ecs.delete_instance(DeleteInstanceRequest(instance_id=created.body.instance_id))
