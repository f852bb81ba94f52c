"""The pytest plugin itself: what the fixture yields, its clock helpers,
/health and /metrics through it, clean stops, scopes, and that the
installed command is the one it runs."""
import datetime
import os
import subprocess
import sys

import pytest
from prometheus_client.parser import text_string_to_metric_families

import ecs_ledger

FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def parse(text):
    return datetime.datetime.strptime(text, FORMAT).replace(tzinfo=datetime.timezone.utc)


def requests_counted(server, action, code):
    for family in text_string_to_metric_families(server.metrics()):
        if family.name == "ecs_ledger_requests":
            for sample in family.samples:
                if sample.labels == {"action": action, "code": code}:
                    return sample.value
    return 0.0


def test_the_fixture_yields_a_ready_server_with_an_endpoint_and_two_keys(ecs_ledger_server):
    server = ecs_ledger_server
    host, port = server.endpoint.rsplit(":", 1)
    assert host == "127.0.0.1" and int(port) > 0
    assert server.url == f"http://{server.endpoint}"
    assert server.health()["Status"] == "ok"
    assert not server.key.admin and server.admin_key.admin
    assert server.key.account == server.admin_key.account
    assert server.key.id != server.admin_key.id and server.key.secret != server.admin_key.secret


def test_advance_and_advance_to_move_the_manual_clock(ecs_ledger_server):
    server = ecs_ledger_server
    start = parse(server.advance(0))
    assert parse(server.advance(10)) - start == datetime.timedelta(seconds=10)
    target = start + datetime.timedelta(hours=1)
    assert parse(server.advance_to(target)) == target
    assert parse(server.advance_to(target.strftime(FORMAT))) == target
    with pytest.raises(ecs_ledger.ApiError) as backwards:
        server.advance_to(start)
    assert backwards.value.code == "InvalidParameter"
    with pytest.raises(ValueError):
        server.advance(1.5)


def test_metrics_parse_and_count_requests_made_through_the_fixture(ecs_ledger_server):
    server = ecs_ledger_server
    assert requests_counted(server, "CreateDisk", "Success") == 0
    server.call("CreateDisk", Size=20)
    server.call("CreateDisk", Size=20)
    assert requests_counted(server, "CreateDisk", "Success") == 2
    assert server.health()["HeadSeq"] >= 2


def test_a_factory_server_stops_cleanly_and_its_log_verifies(ecs_ledger_factory):
    server = ecs_ledger_factory(seed=7, durations=(1, 1, 1))
    assert server.call("CreateDisk", Size=20)["DiskId"].startswith("d-")
    assert server.stop() == 0
    verify = subprocess.run([ecs_ledger.binary(), "--data", server.data_dir, "verify"],
                            capture_output=True, text=True)
    assert verify.returncode == 0, verify.stdout + verify.stderr


def test_factory_servers_are_independent(ecs_ledger_factory):
    first, second = ecs_ledger_factory(), ecs_ledger_factory()
    assert first.endpoint != second.endpoint
    first.call("CreateDisk", Size=20)
    assert second.call("DescribeDisks")["TotalCount"] == 0


def test_the_installed_command_is_the_one_run():
    if os.environ.get("ECS_LEDGER_BIN"):
        pytest.skip("ECS_LEDGER_BIN chooses the executable")
    path = os.path.realpath(ecs_ledger.binary())
    assert path.startswith(os.path.realpath(sys.prefix) + os.sep), path
    version = subprocess.run([path, "--version"], capture_output=True, text=True, check=True)
    assert version.stdout.strip() == f"ecs-ledger {ecs_ledger.__version__}"
    via_module = subprocess.run([sys.executable, "-m", "ecs_ledger", "--version"],
                                capture_output=True, text=True, check=True)
    assert via_module.stdout == version.stdout


SCOPED = """
seen = []

def test_one(ecs_ledger_server):
    seen.append(ecs_ledger_server.key.id)

def test_two(ecs_ledger_server):
    seen.append(ecs_ledger_server.key.id)
    assert (seen[0] == seen[1]) is SHARED
"""


@pytest.mark.parametrize("scope, shared", [(None, False), ("function", False), ("module", True)])
def test_the_fixture_scope_follows_the_ini_option(pytester, scope, shared):
    if scope:
        pytester.makeini(f"[pytest]\necs_ledger_scope = {scope}\n")
    pytester.makepyfile(SCOPED.replace("SHARED", str(shared)))
    pytester.runpytest_subprocess().assert_outcomes(passed=2)


def test_an_unknown_scope_is_a_usage_error(pytester):
    pytester.makeini("[pytest]\necs_ledger_scope = forever\n")
    pytester.makepyfile("def test_x(ecs_ledger_server):\n    pass\n")
    result = pytester.runpytest_subprocess()
    assert result.ret != 0
    assert "'forever'" in result.stdout.str() + result.stderr.str()


def test_a_missing_executable_is_named_before_anything_is_created(monkeypatch, tmp_path):
    monkeypatch.setenv("ECS_LEDGER_BIN", str(tmp_path / "nowhere"))
    server = ecs_ledger.EcsLedgerServer()
    with pytest.raises(FileNotFoundError, match="ECS_LEDGER_BIN"):
        server.start()
    assert server.directory is None and server.process is None
